import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** How a secret value sits in a stored run: sealed, never in clear. */
export interface SealedSecret {
  $secret: string;
}

export const REDACTED = '••••••';

/** Seals and opens secret input values (AES-256-GCM). Keys come from configuration, never from the database. */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  }

  /** A box with a key that lives only as long as this process (tests, `memory://`). */
  static ephemeral(): SecretBox {
    return new SecretBox(randomBytes(32));
  }

  seal(value: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return {
      $secret: [
        'v1',
        iv.toString('base64'),
        cipher.getAuthTag().toString('base64'),
        body.toString('base64'),
      ].join(':'),
    };
  }

  open(sealed: SealedSecret): string {
    const [version, iv, tag, body] = sealed.$secret.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unreadable secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        'a secret input cannot be read with the current secret key (DEPLOYBOT_SECRET_KEY changed?)',
      );
    }
  }
}

export function isSealed(value: unknown): value is SealedSecret {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SealedSecret).$secret === 'string' &&
    Object.keys(value).length === 1
  );
}

/**
 * Returns `value` with every sealed secret replaced by `replace(sealed)`, at any depth. Parts without secrets
 * are returned as they are (same reference), so a run without secrets costs one walk and no copy.
 */
export function mapSecrets<T>(value: T, replace: (sealed: SealedSecret) => unknown): T {
  // Most runs hold no secret at all: find that out without allocating, since this runs on every transition.
  return hasSealed(value) ? mapSealed(value, replace) : value;
}

/** Whether a sealed secret is anywhere in `value`. */
function hasSealed(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isSealed(value)) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (hasSealed(v)) return true;
    return false;
  }
  // for…in, not Object.keys: no array per object visited (run documents are plain JSON objects).
  for (const key in value) if (hasSealed((value as Record<string, unknown>)[key])) return true;
  return false;
}

function mapSealed<T>(value: T, replace: (sealed: SealedSecret) => unknown): T {
  if (isSealed(value)) return replace(value) as T;
  if (Array.isArray(value)) {
    const mapped = value.map((v) => mapSecrets(v, replace));
    return (mapped.some((v, i) => v !== value[i]) ? mapped : value) as T;
  }
  if (typeof value === 'object' && value !== null) {
    let changed = false;
    const entries = Object.entries(value).map(([k, v]) => {
      const m = mapSecrets(v, replace);
      if (m !== v) changed = true;
      return [k, m] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}
