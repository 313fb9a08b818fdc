/**
 * The server's own reading of a person's chat message as a decision on a waiting gate. Only unambiguous
 * phrasings count: "approve", "yes, approve", "approved", "reject", "no, reject it because …". Anything else
 * (questions, negations, "yes", "go ahead", extra requests) is not a decision. A model's words never pass here:
 * only the text the person typed does.
 */
export interface ChatDecision {
  approved: boolean;
  note: string | null;
}

const YES = '(?:yes|yep|yeah|ok|okay|sure)';
const NO = '(?:no|nope|nah)';
const OBJECT = String.raw`(?:\s+(?:it|this|that|this step|the step|this one|that one|the change|the plan|the deployment|the registration|the fix|them))?`;
const APPROVE = String.raw`(?:i\s+)?(?:approve|approved|i approve)${OBJECT}`;
const REJECT = String.raw`(?:i\s+)?(?:reject|rejected|deny|denied|decline|declined)${OBJECT}`;
/** What may follow a decision: a reason after "because", a colon or a dash; nothing else. */
const NOTE = String.raw`(?:\s*(?:[,:;]|\s-|—|–)?\s*(?:because|since|as|reason:?|note:?)\s+(.+)|\s*(?::|\s-|—|–)\s*(.+))?`;

const APPROVAL = new RegExp(
  String.raw`^(?:${YES}\s*[,!.]?\s*)?(?:please\s+)?${APPROVE}\s*[.!]?${NOTE}$`,
  'i',
);
const REJECTION = new RegExp(String.raw`^(?:${NO}\s*[,!.]?\s*)?(?:please\s+)?${REJECT}\s*[.!]?${NOTE}$`, 'i');

export function recognizeDecision(text: string): ChatDecision | null {
  const t = text
    .trim()
    .replace(/[’‘]/g, "'")
    .replace(/\s+/g, ' ')
    .replace(/[.!]+$/, '');
  if (t.length === 0 || t.length > 500 || t.includes('?') || /\n/.test(text.trim())) return null;
  for (const [re, approved] of [
    [APPROVAL, true],
    [REJECTION, false],
  ] as const) {
    const m = re.exec(t);
    if (!m) continue;
    const note = (m[1] ?? m[2] ?? '').trim() || null;
    // A note that is itself another request ("approve: and then deploy the backend") is not a note.
    if (note && /^(and|then|but|also)\b/i.test(note)) return null;
    return { approved, note };
  }
  return null;
}
