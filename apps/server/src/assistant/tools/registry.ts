import type { ErrorBody, ErrorCode, QuickAction, WorkflowCard } from '@deploybot/shared';
import { z } from 'zod';
import { DeployBotError } from '../../errors/deploybot-error';
import { toErrorBody } from '../../errors/to-error-body';
import type { ToolOutcome, ToolSpec } from '../provider';
import { safeForModel } from '../redact';

/** What a tool call leaves for the reply besides its result: buttons, cards, the run it started. */
export interface ToolEffects {
  quickActions: QuickAction[];
  workflowCards: WorkflowCard[];
  runId: string | null;
}

export interface ToolContext {
  /** The person on whose behalf the tool runs (recorded as startedBy, by…). */
  actor: string;
  sessionId: string;
  signal: AbortSignal;
  effects: ToolEffects;
  /** Links a run to this conversation, so its steps are narrated here. */
  linkRun(runId: string): Promise<void>;
  /** Runs started from this conversation, newest first. */
  conversationRunIds(): Promise<string[]>;
  /**
   * A rollback of `runId` was proposed here: when this person starts it (their click on the REST route), the
   * rollback run is narrated in this conversation.
   */
  rollbackProposed?(runId: string): void;
}

export interface ToolDef<S extends z.ZodType = z.ZodType> {
  /** snake_case, as the model calls it. */
  name: string;
  /** Shown to the model: what it does and when to use it. */
  description: string;
  schema: S;
  run(args: z.output<S>, ctx: ToolContext): Promise<unknown>;
}

/** Keeps the argument type of `run` tied to the schema. */
export function defineTool<S extends z.ZodType>(def: ToolDef<S>): ToolDef<S> {
  return def;
}

export const newEffects = (): ToolEffects => ({ quickActions: [], workflowCards: [], runId: null });

/** The one typed tool registry: the chat runs these, and the model is shown their schemas. */
export class ToolRegistry {
  private readonly tools = new Map<string, ToolDef>();
  private cachedSpecs: ToolSpec[] | undefined;

  constructor(
    tools: ToolDef[],
    private readonly onError: (err: unknown, tool: string) => void = () => {},
  ) {
    for (const tool of tools) {
      if (this.tools.has(tool.name)) throw new Error(`duplicate tool ${tool.name}`);
      // Arguments are taken exactly: a key the tool does not know ("repo" for "repository") is refused with a
      // message the model can act on, never dropped, which would run the tool without the value it meant.
      const schema = tool.schema instanceof z.ZodObject ? tool.schema.strict() : tool.schema;
      this.tools.set(tool.name, { ...tool, schema });
    }
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** JSON schemas for function calling. */
  specs(): ToolSpec[] {
    this.cachedSpecs ??= [...this.tools.values()].map((t) => {
      const { $schema: _ignored, ...parameters } = z.toJSONSchema(t.schema, { io: 'input' }) as Record<
        string,
        unknown
      >;
      return { name: t.name, description: t.description, parameters };
    });
    return this.cachedSpecs;
  }

  /**
   * Validates the arguments and runs the tool. Never throws: a bad argument or a failure becomes an error the
   * caller shows (and a model can read and correct). Results are redacted and size-bounded.
   */
  async invoke(name: string, rawArgs: unknown, ctx: ToolContext): Promise<ToolOutcome> {
    const tool = this.tools.get(name);
    if (!tool) {
      return {
        ok: false,
        error: `unknown tool "${name}"; the tools are: ${this.names().join(', ')}. Approving or rejecting a step is a person's decision: use propose_approval to offer the buttons.`,
      };
    }
    const parsed = tool.schema.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `${i.path.map(String).join('.') || '(arguments)'}: ${i.message}`)
        .join('; ');
      return { ok: false, error: `invalid arguments for ${name}: ${issues}` };
    }
    try {
      const run = tool.run as (args: unknown, ctx: ToolContext) => Promise<unknown>;
      return { ok: true, result: safeForModel(await run(parsed.data, ctx)) };
    } catch (err) {
      // The one mapper decides what may be shown, as for REST and sockets; a fault of ours is reported.
      const { body, log } = toErrorBody(err);
      if (log) this.onError(err, name);
      if (body.error.code === 'internal')
        return { ok: false, error: `${name} failed with an internal error` };
      return { ok: false, error: String(safeForModel(withDetails(body.error), 2000)) };
    }
  }
}

/**
 * The message with the field issues an error carries ("invalid context for workflow deploy_application:
 * ref: …"), so a model can correct exactly the value that was refused.
 */
function withDetails(err: ErrorBody['error']): string {
  const { details } = err;
  if (!Array.isArray(details) || details.length === 0) return err.message;
  const issues = details
    .map((d) =>
      d && typeof d === 'object' && 'message' in d
        ? `${'path' in d && d.path ? `${String(d.path)}: ` : ''}${String(d.message)}`
        : String(d),
    )
    .join('; ');
  return `${err.message}: ${issues}`;
}

/** A tool's refusal with a message meant for the person (and the model); the code says how, as for every error. */
export class ToolError extends DeployBotError {
  constructor(message: string, code: ErrorCode = 'bad_request') {
    super(code, message);
  }
}
