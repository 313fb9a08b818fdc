import { randomUUID } from 'node:crypto';
import type { ChatMessageDto, Role } from '@deploybot/shared';
import pino from 'pino';
import { type App, createApp } from '../../../src/app';
import type { AssistantConfig } from '../../../src/assistant/config';
import { DEFAULT_ASSISTANT_CONFIG } from '../../../src/assistant/config';
import type { PgliteDb } from '../../../src/db/pglite-db';
import { AgentsStore } from '../../../src/fleet/agents.store';
import { DEFAULT_FLEET_OPTIONS } from '../../../src/fleet/fleet';
import { hashToken } from '../../../src/fleet/tokens';
import { createPgliteTestDb } from '../../../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../../../src/testing/test-security';
import { builtInWorkflows } from '../../../src/workflows';
import { testWorkflows } from '../../fixtures/test-workflows';
import { type ApiClient, apiClient } from '../../helpers/http-client';

export interface AssistantServer {
  app: App;
  db: PgliteDb;
  url: string;
  /** As the bootstrap admin. */
  api: ApiClient;
  /** API tokens of extra users, by name. */
  tokens: Record<string, string>;
  as(user: string): ApiClient;
  close(): Promise<void>;
}

/**
 * The real controller on an in-memory PGlite, with the test workflows and the four built-ins (given the
 * assistant's explainer, as main.ts does), the given assistant configuration, and users `alice` and `bob`.
 */
export async function startAssistantServer(
  assistant: AssistantConfig = DEFAULT_ASSISTANT_CONFIG,
  users: Record<string, Role> = { alice: 'approver', bob: 'operator' },
): Promise<AssistantServer> {
  const db = await createPgliteTestDb();
  let url = 'http://127.0.0.1:0';
  const app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    workflows: (fleet, { explain }) => ({
      ...builtInWorkflows({
        fleet,
        enrollCommand: (hostname, token) =>
          `deploybot-agent --controller ${url} --hostname ${hostname} --token ${token}`,
        connectTimeoutMs: 60_000,
        agentReturnTimeoutMs: 60_000,
        explain,
      }),
      definitions: [...testWorkflows()],
    }),
    fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: url },
    version: '0.0.0-test',
    security: TEST_SECURITY,
    assistant,
  });
  const port = await app.listen(0, '127.0.0.1');
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  url = `http://127.0.0.1:${port}`;
  const tokens: Record<string, string> = {};
  for (const [username, role] of Object.entries(users)) {
    const user = await app.auth.createUser('admin', { username, password: `${username}-password-123`, role });
    tokens[username] = (await app.auth.createToken(user, 'tests')).token;
  }
  return {
    app,
    db,
    url,
    api: apiClient(url),
    tokens,
    as: (user) => apiClient(url, tokens[user]),
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/** Registers repositories through the real registry and stores agents as registration would (they stay offline). */
export async function seedFleet(
  s: AssistantServer,
  fleet: {
    repositories: { name: string; defaultRef: string }[];
    agents: { hostname: string; environment: string }[];
  },
): Promise<void> {
  for (const r of fleet.repositories) {
    await s.app.fleet.repositories.ensure(
      { name: r.name, url: `/srv/git/${r.name}.git`, defaultRef: r.defaultRef },
      'tests',
    );
  }
  const store = new AgentsStore(s.db);
  for (const a of fleet.agents) {
    await s.db.transaction((tx) =>
      store.insert(tx, {
        id: randomUUID(),
        hostname: a.hostname,
        environment: a.environment,
        labels: {},
        credentialHash: hashToken(randomUUID()),
        info: null,
        address: null,
        registeredBy: 'tests',
        runId: null,
        at: new Date().toISOString(),
      }),
    );
  }
}

/** Polls the stored history (tests only) until `predicate` holds. */
export async function waitForMessages(
  api: ApiClient,
  sessionId: string,
  predicate: (messages: ChatMessageDto[]) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<ChatMessageDto[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.get<{ messages: ChatMessageDto[] }>(`/v1/ai/sessions/${sessionId}/history`);
    if (res.status !== 200) throw new Error(`history answered ${res.status}: ${res.text}`);
    if (predicate(res.body.messages)) return res.body.messages;
    if (Date.now() > until) {
      throw new Error(
        `timed out waiting for ${what}; messages:\n${res.body.messages.map((m) => `[${m.role}/${m.status}] ${m.content}`).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
