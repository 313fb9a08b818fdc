import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FleetSnapshot } from './resolver';
import { normalizeEnvironment } from './slots';
import { type Pending, type Understanding, understand } from './understand';

/**
 * The rule of issue 12: the local assistant takes each value exactly as the person wrote it, or asks; it never
 * acts on a value the person did not say. Resolved against the fleet of corpus.json (names only, no database).
 */
interface Labelled {
  text: string;
}
const corpus = JSON.parse(readFileSync(join(import.meta.dirname, 'corpus.json'), 'utf8')) as {
  fleet: { repositories: FleetSnapshot['repositories']; agents: { hostname: string; environment: string }[] };
  utterances: Labelled[];
};
const heldOut = JSON.parse(readFileSync(join(import.meta.dirname, 'corpus.heldout.json'), 'utf8')) as {
  utterances: Labelled[];
};
const fleet: FleetSnapshot = {
  repositories: corpus.fleet.repositories,
  agents: corpus.fleet.agents.map((a) => ({ ...a, status: 'offline' })),
};

const pendingOf = (u: Understanding): Pending => {
  if (u.intent !== 'clarify') throw new Error(`expected a question, got ${JSON.stringify(u)}`);
  return { intent: u.clarification.about, ask: u.clarification.ask, known: u.clarification.known };
};
const question = (u: Understanding): string => (u.intent === 'clarify' ? u.clarification.question : '');

describe('a ref is deployed exactly as written', () => {
  it.each([
    ['Deploy demo/hello-app at broken', 'demo/hello-app', 'broken'],
    ['Deploy demo/hello-app at feature-x', 'demo/hello-app', 'feature-x'],
    ['deploy demo/hello-app@feature-x', 'demo/hello-app', 'feature-x'],
    ['deploy myorg/backend from hotfix-db', 'myorg/backend', 'hotfix-db'],
    ['please deploy acme/shop at summer-sale', 'acme/shop', 'summer-sale'],
    ['ship the backend at experiment to staging', 'myorg/backend', 'experiment'],
    ['deploy frontend at Feature-Login', 'myorg/frontend', 'Feature-Login'],
    ['deploy the shop from the black-friday branch', 'acme/shop', 'black-friday'],
    ['deploy hello app at release/v1.2+build.5', 'demo/hello-app', 'release/v1.2+build.5'],
  ])('"%s" → %s at %s', (text, repository, ref) => {
    expect(understand(text, fleet)).toMatchObject({
      intent: 'deploy_application',
      slots: { repository, ref },
    });
  });

  it('uses the default branch only when no ref was written at all', () => {
    expect(understand('deploy the shop at once', fleet)).toEqual({
      intent: 'deploy_application',
      slots: { repository: 'acme/shop', ref: 'master' },
    });
  });

  it('asks, saying why, when the written ref is not a valid git ref, and takes the answer as written', () => {
    const first = understand('deploy demo/hello-app at feature..x', fleet);
    expect(first).toMatchObject({ intent: 'clarify', slots: { about: 'deploy_application', ask: 'ref' } });
    expect(question(first)).toBe(
      '`feature..x` is not a valid git ref (a branch, tag or commit sha has no spaces, no "..", and does not start with "-"). Which branch, tag or commit of `demo/hello-app` should I deploy?',
    );
    expect(understand('feature-x', fleet, pendingOf(first))).toEqual({
      intent: 'deploy_application',
      slots: { repository: 'demo/hello-app', ref: 'feature-x' },
    });
  });

  it('asks when the word after "at" is an agent, not a ref', () => {
    const u = understand('deploy myorg/frontend at web-01 to production', fleet);
    expect(u).toMatchObject({ intent: 'clarify', slots: { about: 'deploy_application', ask: 'ref' } });
    expect(question(u)).toMatch(
      /^`web-01` is an agent, not a ref: the deploy picks its target agent at its first gate/,
    );
    if (u.intent === 'clarify')
      expect(u.clarification.known).toEqual({ repository: 'myorg/frontend', environment: 'production' });
  });
});

describe('a host name is used exactly as written, or the assistant asks and says why', () => {
  it.each([
    ['register a new agent called my web server', 'my web server', 'my-web-server'],
    ['add a server named db server 2', 'db server 2', 'db-server-2'],
    ['register a new agent called my_web_server', 'my_web_server', 'my-web-server'],
    ['register a host called web 04 in staging', 'web 04', 'web-04'],
    ['register my_box', 'my_box', 'my-box'],
  ])('"%s": asks, quoting %s', (text, bad, suggestion) => {
    const u = understand(text, fleet);
    expect(u).toMatchObject({ intent: 'clarify', slots: { about: 'register_agent', ask: 'hostname' } });
    expect(question(u)).toBe(
      `\`${bad}\` is not a valid host name: a host name is letters, digits, hyphens and dots, with no spaces or underscores (RFC 1123), e.g. \`prod-server-03\`. Which host name should the new agent have?`,
    );
    if (u.intent === 'clarify') {
      expect(u.clarification.known.hostname).toBeUndefined();
      expect(u.clarification.options.map((o) => o.label)).toEqual([suggestion]);
    }
  });

  it('keeps the environment of the request in the one-click suggestion', () => {
    const u = understand('register a host called web 04 in staging', fleet);
    if (u.intent !== 'clarify') throw new Error('expected a question');
    expect(u.clarification.options[0]!.message).toBe('Register a new agent called web-04 in staging');
    expect(u.clarification.known).toEqual({ environment: 'staging' });
  });

  it.each(['register my new server', 'register the web server', 'can you onboard a box for me'])(
    '"%s" names no host: asks for one',
    (text) => {
      expect(understand(text, fleet)).toMatchObject({
        intent: 'clarify',
        slots: { about: 'register_agent', ask: 'hostname' },
      });
    },
  );

  it('explains an answer to "which host name?" that is not one, and takes a valid one after', () => {
    const first = understand('register a new agent in staging', fleet);
    const second = understand('my web server', fleet, pendingOf(first));
    expect(question(second)).toMatch(/^`my web server` is not a valid host name/);
    expect(understand('my-web-server', fleet, pendingOf(second))).toEqual({
      intent: 'register_agent',
      slots: { hostname: 'my-web-server', environment: 'staging' },
    });
  });

  it.each([
    ['register a new agent called my-web-server', { hostname: 'my-web-server' }],
    ['please set up a deploy agent on bastion-2', { hostname: 'bastion-2' }],
    ['hook up a new server called metrics-02 to deploybot', { hostname: 'metrics-02' }],
    ['register a new agent called api-7 for the qa environment', { hostname: 'api-7', environment: 'qa' }],
  ])('"%s" → %o', (text, slots) => {
    expect(understand(text, fleet)).toEqual({ intent: 'register_agent', slots });
  });
});

describe('an environment is the whole word written', () => {
  it.each([
    ['deploy the frontend for the qa environment', 'qa'],
    ['push hello-app to the qa environment', 'qa'],
    ['deploy myorg/backend to the uat environment', 'uat'],
    ['deploy the backend to the perf environment', 'perf'],
    ['deploy demo/hello-app at main to env=dev', 'development'],
    ['deploy hello-app to env qa', 'qa'],
  ])('"%s" → %s', (text, environment) => {
    expect(understand(text, fleet)).toMatchObject({ intent: 'deploy_application', slots: { environment } });
  });

  it('"which agents are in the production environment" filters on production', () => {
    expect(understand('which agents are in the production environment', fleet)).toEqual({
      intent: 'list_agents',
      slots: { environment: 'production' },
    });
  });
});

describe('every value the assistant would act on was written by the person', () => {
  const words = (text: string) =>
    new Set(
      text
        .toLowerCase()
        .split(/[\s,;:=()"'?!]+/)
        .map((w) => w.replace(/\.$/, '')),
    );
  const written = [...corpus.utterances, ...heldOut.utterances].map((u) => u.text);

  it.each(written)('%s', (text) => {
    const u = understand(text, fleet);
    if (u.intent === 'clarify' || u.intent === 'unknown') return;
    const said = words(text);
    const s = u.slots as Record<string, string | number | undefined>;
    if (typeof s.hostname === 'string' && u.intent === 'register_agent') expect(said).toContain(s.hostname);
    if (typeof s.environment === 'string') {
      const spelled = [...said].filter(
        (w) => normalizeEnvironment(w) === s.environment || w === s.environment,
      );
      expect(spelled, `environment ${s.environment}`).not.toEqual([]);
    }
    if (u.intent === 'deploy_application' && typeof s.ref === 'string') {
      const defaultRef = fleet.repositories.find((r) => r.name === s.repository)?.defaultRef;
      // The ref written, character for character, or the repository's default branch when none was written.
      if (!text.includes(s.ref)) expect(s.ref).toBe(defaultRef);
    }
  });
});
