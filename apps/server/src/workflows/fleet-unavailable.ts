/**
 * Raised by a step that needs deploy agents, repositories or jobs when the controller has no fleet wired in.
 * The step fails with this message instead of pretending to have checked anything.
 */
export class FleetUnavailableError extends Error {
  constructor(what: string) {
    super(`fleet not available: ${what} needs the agent fleet, which this controller does not manage yet`);
  }
}

export const needsFleet = (what: string) => async (): Promise<never> => {
  throw new FleetUnavailableError(what);
};
