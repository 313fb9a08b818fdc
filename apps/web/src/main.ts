// A shell until the web app lands: lists the workflow definitions the controller serves.
interface DefinitionsResponse {
  definitions: { name: string; title: string; description: string }[];
}

async function showDefinitions(): Promise<void> {
  const list = document.getElementById('definitions');
  if (!list) return;
  const res = await fetch('/v1/ai/workflows/definitions');
  const body = (await res.json()) as DefinitionsResponse;
  for (const d of body.definitions) {
    const item = document.createElement('li');
    item.textContent = `${d.title} (${d.name}): ${d.description}`;
    list.append(item);
  }
}

void showDefinitions();
