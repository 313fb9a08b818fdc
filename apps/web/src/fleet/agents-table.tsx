import { useShallow } from 'zustand/react/shallow';
import { formatAgo } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useAppStore } from '../stores/store';
import { AgentStatusBadge } from './job-status-badge';

/** Agents with their live status and last heartbeat. */
export function AgentsTable() {
  const agents = useAppStore(
    useShallow((s) => Object.values(s.agents).sort((a, b) => a.hostname.localeCompare(b.hostname))),
  );
  const now = useNow();
  return (
    <section aria-labelledby="agents-title" className="flex flex-col gap-2">
      <h2 id="agents-title" className="text-base font-semibold">
        Agents ({agents.length})
      </h2>
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm" data-testid="agents-table">
          <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
            <tr>
              <th scope="col" className="py-1 pr-3">
                Host
              </th>
              <th scope="col" className="py-1 pr-3">
                Status
              </th>
              <th scope="col" className="py-1 pr-3">
                Last heartbeat
              </th>
              <th scope="col" className="py-1 pr-3">
                Environment
              </th>
              <th scope="col" className="py-1 pr-3">
                Jobs
              </th>
              <th scope="col" className="py-1 pr-3">
                Version
              </th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr
                key={a.id}
                className="border-t border-slate-200 dark:border-slate-700"
                data-testid={`agent-row-${a.hostname}`}
              >
                <td className="py-1 pr-3 font-medium">{a.hostname}</td>
                <td className="py-1 pr-3">
                  <AgentStatusBadge status={a.status} />
                </td>
                <td className="py-1 pr-3 tabular-nums" title={a.lastHeartbeatAt ?? undefined}>
                  {formatAgo(a.lastHeartbeatAt, now)}
                </td>
                <td className="py-1 pr-3">{a.environment}</td>
                <td className="py-1 pr-3 tabular-nums">{a.runningJobs}</td>
                <td className="py-1 pr-3">{a.version ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {agents.length === 0 && (
          <p className="text-sm text-slate-600 dark:text-slate-400">No agents yet: run register_agent.</p>
        )}
      </div>
    </section>
  );
}
