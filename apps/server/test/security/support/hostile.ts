/** Hostile values, grouped by what they try. Each list is small on purpose: one of a kind, not a fuzzer. */

export const TRAVERSAL = [
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..\\..\\windows\\win.ini',
  'a/../../b',
  '....//....//etc',
];

export const SHELL = [
  'web-01; touch /tmp/deploybot-pwned',
  '$(touch /tmp/deploybot-pwned)',
  '`touch /tmp/deploybot-pwned`',
  'web-01 | id',
  'web-01 && id',
  'web-01\nid',
  '-rf',
  '--upload-pack=touch /tmp/deploybot-pwned',
  'ext::sh -c touch% /tmp/deploybot-pwned',
  "x' OR '1'='1",
];

/** Characters that render differently from what they are, or that no database text column can hold. */
export const UNICODE = {
  rtlOverride: 'web\u202e10-bew',
  zeroWidth: 'web\u200b-01',
  homoglyph: 'w\u0435b-01',
  nul: 'web\u0000-01',
  loneHigh: 'web\ud800-01',
  loneLow: 'web\udc00-01',
} as const;

/** The two that cannot be stored at all: they must be refused (4xx), never reach the database. */
export const UNSTORABLE = { nul: 'note\u0000with a NUL', loneSurrogate: 'note \ud83d alone' } as const;

export const XSS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "javascript:alert('x')",
  '<svg/onload=alert(1)>',
];

/** Every hostile value for a constrained name (host names, user names, repositories, refs…). */
export const HOSTILE_NAMES: string[] = [...TRAVERSAL, ...SHELL, ...Object.values(UNICODE), ...XSS];

/** Hostile git URLs: none may be registered (an absolute path is a legitimate URL, so none starts with `/`). */
export const HOSTILE_URLS: string[] = [
  'ext::sh -c touch% /tmp/deploybot-pwned',
  '--upload-pack=touch /tmp/deploybot-pwned',
  '-oProxyCommand=touch /tmp/deploybot-pwned',
  '$(touch /tmp/deploybot-pwned)',
  '`touch /tmp/deploybot-pwned`',
  '; touch /tmp/deploybot-pwned',
  '| id',
  'https://example.com/repo.git\n--upload-pack=id',
  'https://example.com/repo.git && id',
  'file:///srv/repo\u0000.git',
  'https://example.com/\u202etig.oper',
  'https://exa\u200bmple.com/repo.git',
  '../../etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc',
  'javascript:alert(1)',
  '/srv/repo.git\n--upload-pack=touch /tmp/deploybot-pwned',
  '/srv/repo\u202e.git',
];

/** Path segments for `:id`/`:ref` parameters, already percent-encoded where needed, sent byte for byte. */
export const HOSTILE_SEGMENTS = [
  '..',
  '%2e%2e',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a%00b',
  '%E2%80%AEweb',
  '%ED%A0%80',
  '%C0%AE%C0%AE',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%24(id)%3B%60id%60',
];

/** Bodies that are not JSON at all. */
export const MALFORMED_JSON = [
  '{"a":',
  '{"a":1}}',
  "{'a':1}",
  '{a:1}',
  '[1,]',
  'nul',
  '{"a":"\\x"}',
  '\u0000',
  '{"a":1,}',
];

/** JSON that is not an object (strict parsing refuses scalars; schemas refuse arrays). */
export const NOT_OBJECTS = ['null', '"text"', '42', 'true', '[]', '[{}]'];

export const WRONG = {
  string: [42, true, null, [], {}, ['a'], { $ne: null }],
  boolean: ['true', 1, 0, null, [], {}],
  number: ['5', true, null, [], {}, 1.5, -1, 0, 1e12],
  /** An engine-checked input (null counts as absent there, so it is not listed). */
  input: [42, true, [], {}, { $ne: 1 }],
  optionalInput: ['many', true, [], {}],
  choiceInput: [42, [], {}, 'purple', null],
  record: ['x', 1, [], null, { Bad: 1 }, { 'Bad Key': 'v' }],
} as const;
export type FieldKind = keyof typeof WRONG;

/** A body past the 100 kB limit. */
export const huge = (base: Record<string, unknown>) => ({ ...base, padding: 'x'.repeat(150 * 1024) });

/** encodeURIComponent that also encodes lone surrogates (as the invalid UTF-8 bytes a hostile client sends). */
export function encodeAny(value: string): string {
  return value.replace(/[\s\S]/gu, (ch) => {
    const unit = ch.charCodeAt(0);
    if (ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    }
    return encodeURIComponent(ch);
  });
}
