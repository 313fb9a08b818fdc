import type { InputSpec } from '@deploybot/shared';
import type { Fleet } from '../../fleet/fleet';
import type { AssistantWorkflows } from '../workflows-port';

/** A workflow of the catalog (latest version) as the local assistant finds it by its words. */
export interface CatalogWorkflow {
  name: string;
  title: string;
  description: string;
  builtIn: boolean;
  inputs: InputSpec[];
}

/** What the local assistant resolves names against: the real registry, read once per message. */
export interface FleetSnapshot {
  repositories: { name: string; defaultRef: string }[];
  agents: { hostname: string; environment: string; status: string }[];
  /** Every workflow that can be started, latest version; absent: only the built-ins' own intents apply. */
  workflows?: CatalogWorkflow[];
}

export async function loadFleetSnapshot(
  fleet: Fleet,
  workflows?: Pick<AssistantWorkflows, 'definitions'>,
): Promise<FleetSnapshot> {
  const [repositories, agents] = await Promise.all([fleet.repositories.list(), fleet.agents.list()]);
  return {
    repositories: repositories.map((r) => ({ name: r.name, defaultRef: r.defaultRef })),
    agents: agents.map((a) => ({ hostname: a.hostname, environment: a.environment, status: a.status })),
    ...(workflows && {
      workflows: workflows.definitions().map((d) => ({
        name: d.name,
        title: d.title,
        description: d.description,
        builtIn: d.builtIn ?? false,
        inputs: d.inputs,
      })),
    }),
  };
}

export type RepositoryResolution =
  | { kind: 'found'; name: string; defaultRef: string }
  | { kind: 'unknown'; name: string; candidates: string[] }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'missing'; candidates: string[] };

/** Words that never name a repository on their own. */
const FILLER = new Set(
  (
    'a an the to on in of for from with at and or please can could would you i we my our me us it this that ' +
    'deploy deployed deploying redeploy ship release roll out push put promote go live get let lets need want like ' +
    'app apps application service project repo repository branch tag version commit sha ref new latest last ' +
    'now right up some do is are be was will should when history deployment deployments show list jobs job ' +
    'failed running pending which what how'
  ).split(' '),
);

/**
 * `org/app` written out → that repository (or `unknown`); otherwise the words of the message are matched
 * against each repository's app name and its parts ("the frontend" → myorg/frontend, "payments worker" →
 * myorg/payments-worker). One best match is `found`; several equally good are `ambiguous`.
 */
export function resolveRepository(
  explicit: string[],
  words: string[],
  snapshot: FleetSnapshot,
): RepositoryResolution {
  const all = snapshot.repositories.map((r) => r.name);
  const byName = new Map(snapshot.repositories.map((r) => [r.name, r]));
  const known = explicit.find((name) => byName.has(name));
  if (known) return { kind: 'found', name: known, defaultRef: byName.get(known)!.defaultRef };
  if (explicit[0]) return { kind: 'unknown', name: explicit[0], candidates: similar(explicit[0], all) };

  const meaningful = words.filter((w) => !FILLER.has(w));
  const joined = new Set<string>();
  for (let i = 0; i + 1 < meaningful.length; i++) {
    joined.add(`${meaningful[i]}-${meaningful[i + 1]}`);
    joined.add(`${meaningful[i]}_${meaningful[i + 1]}`);
    joined.add(`${meaningful[i]}${meaningful[i + 1]}`);
  }
  let best = 0;
  let candidates: string[] = [];
  for (const repo of snapshot.repositories) {
    const [org, app] = repo.name.split('/') as [string, string];
    const parts = app.split(/[-_.]/).filter((p) => p.length > 1 && !FILLER.has(p));
    let score = 0;
    if (meaningful.includes(app) || joined.has(app)) score += 10;
    score += parts.filter((p) => meaningful.includes(p)).length;
    if (score > 0 && meaningful.includes(org)) score += 0.5;
    if (score > best) {
      best = score;
      candidates = [repo.name];
    } else if (score === best && score > 0) {
      candidates.push(repo.name);
    }
  }
  if (candidates.length === 1) {
    const repo = byName.get(candidates[0]!)!;
    return { kind: 'found', name: repo.name, defaultRef: repo.defaultRef };
  }
  if (candidates.length > 1) return { kind: 'ambiguous', candidates };
  return { kind: 'missing', candidates: all };
}

/** Registered repositories that share a word with `name`, or all of them. */
function similar(name: string, all: string[]): string[] {
  const words = name.split(/[/._-]/).filter((w) => w.length > 2);
  const close = all.filter((r) => words.some((w) => r.includes(w)));
  return close.length > 0 ? close : all;
}

/** The fleet's own spelling of an environment ("production" → "prod" when the agents say prod). */
export function resolveEnvironment(environment: string, snapshot: FleetSnapshot): string {
  const known = new Set(snapshot.agents.map((a) => a.environment));
  if (known.has(environment)) return environment;
  const aliases: Record<string, string[]> = {
    production: ['prod', 'live'],
    staging: ['stage', 'stg'],
    development: ['dev'],
    test: ['testing'],
  };
  return aliases[environment]?.find((a) => known.has(a)) ?? environment;
}

export function findAgent(hostname: string, snapshot: FleetSnapshot) {
  return snapshot.agents.find((a) => a.hostname === hostname.toLowerCase()) ?? null;
}
