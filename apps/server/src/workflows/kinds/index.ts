import type { WorkflowDeps } from '../workflow-deps';
import { configureAgentKind, registerAgentKind } from './agents.kinds';
import { deployJobKind, selectAgentKind } from './deploy.kinds';
import { awaitEnrollmentKind, checkConnectivityKind, issueJoinTokenKind } from './enroll.kinds';
import type { FleetStepKind } from './fleet-kind';
import { analyseMetricsKind, checkAgentsKind, checkJobsKind, generateReportKind } from './health.kinds';
import { retryJobKind, switchReleaseKind, waitJobKind } from './jobs.kinds';
import { resolveRefKind } from './repository.kinds';
import { gatherLogsKind, identifyIssueKind, suggestFixKind } from './troubleshoot.kinds';

export type { FleetStepKind, WaitCancel } from './fleet-kind';
export { agentWaitKey, enrollmentWaitKey, jobWaitKey } from './fleet-kind';
export { cancelAwaitedJob } from './jobs.kinds';

/** The fleet's own step kinds, bound to the fleet and the controller's settings. */
// biome-ignore lint/suspicious/noExplicitAny: a list of kinds of every parameter type
export function fleetStepKinds(deps: WorkflowDeps): FleetStepKind<any>[] {
  const { fleet } = deps;
  return [
    // deploying
    resolveRefKind(fleet),
    selectAgentKind(fleet),
    deployJobKind(fleet),
    waitJobKind(fleet),
    retryJobKind(fleet),
    switchReleaseKind(fleet),
    // enrolling
    issueJoinTokenKind(fleet, deps.enrollCommand),
    awaitEnrollmentKind(fleet, deps.connectTimeoutMs),
    checkConnectivityKind(fleet, deps.connectTimeoutMs),
    registerAgentKind(fleet),
    configureAgentKind(fleet),
    // troubleshooting
    identifyIssueKind(fleet, deps.explain),
    gatherLogsKind(fleet),
    suggestFixKind(fleet, deps.agentReturnTimeoutMs),
    // health
    checkAgentsKind(fleet),
    checkJobsKind(fleet),
    analyseMetricsKind(fleet),
    generateReportKind(deps.explain),
  ];
}
