import type { Enrollment } from './agent-gateway';

/**
 * Enrollments whose connection another controller holds, as those controllers announce them (on hello, then on
 * every fleet sweep): so that any controller can list, review, ping and register an agent that connected with
 * its join token elsewhere. An entry not announced again within `ttlMs` is taken for a dead controller's.
 */
export class RemoteEnrollments {
  private readonly byToken = new Map<
    string,
    { enrollment: Enrollment; controllerId: string; seenAt: number }
  >();

  constructor(private readonly ttlMs: number) {}

  /** Records an announcement; true when this connection was not known yet. */
  seen(enrollment: Enrollment, controllerId: string): boolean {
    const known = this.get(enrollment.joinTokenId);
    this.byToken.set(enrollment.joinTokenId, { enrollment, controllerId, seenAt: performance.now() });
    return known?.id !== enrollment.id;
  }

  /** The connection `enrollmentId` (or any, without it) no longer holds its join token. */
  gone(joinTokenId: string, enrollmentId?: string): void {
    const entry = this.byToken.get(joinTokenId);
    if (entry && (enrollmentId === undefined || entry.enrollment.id === enrollmentId)) {
      this.byToken.delete(joinTokenId);
    }
  }

  get(joinTokenId: string): Enrollment | null {
    const entry = this.byToken.get(joinTokenId);
    if (!entry) return null;
    if (performance.now() - entry.seenAt > this.ttlMs) {
      this.byToken.delete(joinTokenId);
      return null;
    }
    return entry.enrollment;
  }

  all(): Enrollment[] {
    return [...this.byToken.keys()].flatMap((token) => this.get(token) ?? []);
  }
}
