import { checkInput, type InputSpec } from '@deploybot/shared';
import { inlineLiteral, plainText } from '../literal';
import { normalize } from './intents';
import type { CatalogWorkflow } from './resolver';
import { clean } from './slots';

/**
 * Operators' own workflows (saved as documents, so not known when the rules were written), found by the words
 * of their name, title and description, and their declared inputs filled like the built-ins' slots: from the
 * message ("region eu-west", "region=eu-west", a choice written out), then asked for one by one.
 */

/** Words that say nothing about which workflow is meant. */
const STOP = new Set(
  (
    'a an the to on in of for from with at and or please can could would you i we my our me us it this that ' +
    'run runs start starts launch execute kick off trigger begin do perform fire workflow workflows now again ' +
    'one some all every each is are be by as its their then before after up new'
  ).split(' '),
);

/** A verb asking for a run. */
const START_VERB = /\b(run|start|launch|execute|kick off|kick-off|trigger|begin|perform|fire off|do)\b/;
/** A question or a listing, not a request to run something. */
const QUESTION =
  /^(who|what|when|why|how|which|where|is|are|was|were|did|does|show|list|tell|explain|describe)\b/;

/** The words of a text, lower-case; "warm-up" and "warm up" are `warm`, `up` and `warmup`. */
function wordsOf(text: string, joinAdjacent = true): Set<string> {
  const out = new Set<string>();
  const all: string[] = [];
  for (const token of text.toLowerCase().split(/[^a-z0-9_-]+/)) {
    if (!token) continue;
    const parts = token.split(/[-_]+/).filter(Boolean);
    for (const p of parts) out.add(p);
    if (parts.length > 1) out.add(parts.join(''));
    all.push(...parts);
  }
  if (joinAdjacent) for (let i = 0; i + 1 < all.length; i++) out.add(`${all[i]}${all[i + 1]}`);
  return out;
}

/** The words a title or description is known by (as written: a message's "warm up" still finds "warm-up"). */
const significant = (text: string) => [...wordsOf(text, false)].filter((w) => w.length > 1 && !STOP.has(w));

export interface CatalogMatch {
  workflow: CatalogWorkflow;
  score: number;
  /** The message without the words that named the workflow (to see what else it asks). */
  rest: string;
}

/** How strongly `text` names `w`: its snake_case name, all the words of its title, or several of its description's. */
function scoreOf(t: string, words: Set<string>, w: CatalogWorkflow): number {
  const nameParts = w.name.split('_').filter(Boolean);
  if (new RegExp(`\\b${w.name}\\b`).test(t) || nameParts.every((p) => words.has(p))) return 14;
  const title = significant(w.title);
  const titleHits = title.filter((x) => words.has(x)).length;
  if (title.length > 0 && titleHits === title.length) return 12;
  let score = title.length >= 3 && titleHits / title.length >= 2 / 3 ? 8 : 0;
  const description = significant(w.description).filter((x) => x.length > 3 && !title.includes(x));
  const descriptionHits = description.filter((x) => words.has(x)).length;
  if (titleHits + descriptionHits >= 2) score = Math.max(score, 2 * Math.min(titleHits + descriptionHits, 4));
  return score;
}

/**
 * The operator workflow a request to run something names, if one does clearly: a question ("what happened in
 * …") never starts anything, and without a verb ("the nightly cache warm-up") the title or name must be there.
 * Built-ins are left to their own intents. Several equally good: all of them, to ask which.
 */
export function matchCatalog(text: string, workflows: CatalogWorkflow[]): CatalogMatch[] {
  const t = normalize(text);
  if (QUESTION.test(t)) return [];
  const words = wordsOf(t);
  const verb = START_VERB.test(t);
  let best: CatalogMatch[] = [];
  for (const w of workflows) {
    if (w.builtIn) continue;
    const score = scoreOf(t, words, w) + (verb ? 2 : 0);
    if (score < (verb ? 8 : 12)) continue;
    if (best.length === 0 || score > best[0]!.score) best = [{ workflow: w, score, rest: without(t, w) }];
    else if (score === best[0]!.score) best.push({ workflow: w, score, rest: without(t, w) });
  }
  return best;
}

/** `t` without the words of the workflow's name and title. */
function without(t: string, w: CatalogWorkflow): string {
  const named = new Set([...w.name.split('_'), ...significant(w.title)]);
  return t
    .split(/\s+/)
    .filter((token) => ![...wordsOf(token)].some((x) => named.has(x)))
    .join(' ');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The inputs written in the message: `key value`, `key=value`, `label: value`, a choice written out, or for a
 * host-name input, a registered agent named anywhere ("rotate the logs on web-01").
 */
export function inputsIn(text: string, inputs: InputSpec[], agents: string[] = []): Record<string, string> {
  const written = clean(text);
  const out: Record<string, string> = {};
  for (const spec of inputs) {
    // A choice written out wins: in "run the database backup for users", `backup` is not the database.
    const choice = spec.choices?.find((c) =>
      new RegExp(String.raw`(?<![-.\w])${escapeRe(c)}(?![-.\w])`, 'i').test(written),
    );
    if (choice) {
      out[spec.key] = choice;
      continue;
    }
    const names = [spec.key, spec.key.replace(/_/g, ' '), spec.label].map(escapeRe);
    const m = new RegExp(
      String.raw`(?:^|[\s,(])(?:${names.join('|')})\s*(?:=|:|\bis\b|\bof\b)?\s*("[^"]+"|'[^']+'|[^\s,;)]+)`,
      'i',
    ).exec(written);
    if (m) {
      out[spec.key] = m[1]!.replace(/^["']|["']$/g, '');
      continue;
    }
    const agent =
      spec.type === 'hostname'
        ? agents.find((a) => new RegExp(String.raw`(?<![-.\w])${escapeRe(a)}(?![-.\w])`, 'i').test(written))
        : undefined;
    if (agent) out[spec.key] = agent;
  }
  return out;
}

/** A short answer to "which <label>?", as written: "it's eu-west", "region eu-west" and "eu-west" are the value. */
export function answerOf(text: string, spec: InputSpec): string {
  const named = inputsIn(text, [spec])[spec.key];
  if (named !== undefined) return named;
  return clean(text)
    .replace(/^(use|it'?s|it is|take|the)\s+/i, '')
    .replace(/^["']|["']$/g, '');
}

export interface InputQuestion {
  ask: string;
  question: string;
  options: { label: string; message: string }[];
}

/** The next required input without a value, asked like a built-in's slot; null when every one is given. */
export function nextQuestion(
  w: Pick<CatalogWorkflow, 'title' | 'inputs'>,
  values: Record<string, unknown>,
  problem?: string,
): InputQuestion | null {
  const spec = w.inputs.find((i) => i.required && (values[i.key] === undefined || values[i.key] === ''));
  if (!spec) return null;
  const hint = spec.description
    ? ` (${spec.description})`
    : spec.placeholder
      ? ` (e.g. \`${spec.placeholder}\`)`
      : '';
  const choices = spec.choices ?? [];
  return {
    ask: spec.key,
    question: `${problem ? `${problem} ` : ''}**${plainText(w.title)}** needs **${plainText(spec.label)}**${hint}.${choices.length ? ` One of: ${choices.map((c) => `\`${c}\``).join(', ')}.` : ''} What should it be?`,
    options: choices.slice(0, 8).map((c) => ({ label: c, message: c })),
  };
}

/** Each value checked against its input's spec (the engine checks again at start): the values, or the first problem. */
export function checkValues(
  w: CatalogWorkflow,
  raw: Record<string, unknown>,
): { ok: true; values: Record<string, string | number> } | { ok: false; key: string; message: string } {
  const values: Record<string, string | number> = {};
  for (const spec of w.inputs) {
    if (raw[spec.key] === undefined) continue;
    const checked = checkInput(spec, raw[spec.key]);
    if (!checked.ok)
      return {
        ok: false,
        key: spec.key,
        message: `${inlineLiteral(String(raw[spec.key]), 80)}: ${checked.message}.`,
      };
    if (checked.value !== undefined) values[spec.key] = checked.value as string | number;
  }
  return { ok: true, values };
}
