/**
 * `UPDATE table SET … WHERE id = $1 RETURNING *` for the columns of `values` that are not undefined, or null
 * when there is nothing to set. Column names come from the caller's code, never from input.
 */
export function updateById(
  table: string,
  id: string,
  values: Record<string, unknown>,
): { sql: string; params: unknown[] } | null {
  const params: unknown[] = [id];
  const sets: string[] = [];
  for (const [column, value] of Object.entries(values)) {
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  }
  return sets.length === 0
    ? null
    : { sql: `UPDATE ${table} SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params };
}
