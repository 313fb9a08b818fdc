import type { InputSpec } from '@deploybot/shared';
import type { z } from 'zod';
import type { CelFieldType } from './expressions';

/**
 * CEL types for what expressions read: a workflow's inputs from their specs, a step's outputs from its kind's zod
 * schema. Values are JSON at run time, so every number is a `double`; anything CEL cannot type exactly (a union,
 * a nullable value, which may be null) is `dyn`, checked when evaluated instead.
 */

export function inputCelType(spec: InputSpec): CelFieldType {
  return spec.type === 'number' ? 'double' : 'string';
}

/** An object schema's fields as CEL field types (the outputs a step kind declares). */
export function objectCelFields(schema: z.ZodObject): Record<string, CelFieldType> {
  const fields: Record<string, CelFieldType> = {};
  for (const [key, field] of Object.entries(schema.shape)) fields[key] = celTypeOf(field as z.ZodType, true);
  return fields;
}

interface ZodDef {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  keyType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, unknown>;
  values?: unknown[];
  out?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): ZodDef {
  return (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
}

/**
 * The CEL type of values a schema accepts. `asField`: an object may become a nested field schema (typed member
 * by member); inside a list or map it is `map<string, dyn>`, the most CEL can say of an element.
 */
export function celTypeOf(schema: z.ZodType, asField = false): CelFieldType {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
    case 'template_literal':
      return 'string';
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'enum': {
      const values = Object.values(def.entries ?? {});
      return values.every((v) => typeof v === 'string') ? 'string' : 'dyn';
    }
    case 'literal': {
      const values = def.values ?? [];
      if (values.every((v) => typeof v === 'string')) return 'string';
      if (values.every((v) => typeof v === 'boolean')) return 'bool';
      if (values.every((v) => typeof v === 'number')) return 'double';
      return 'dyn';
    }
    case 'optional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      // Absent is not a type: `has(steps.x.outputs.y)` tells, reading it when absent fails.
      return def.innerType ? celTypeOf(def.innerType, asField) : 'dyn';
    case 'pipe':
      return def.out && defOf(def.out).type !== 'transform' ? celTypeOf(def.out, asField) : 'dyn';
    case 'array': {
      const element = def.element ? celTypeOf(def.element) : 'dyn';
      return typeof element === 'string' ? `list<${element}>` : 'list<dyn>';
    }
    case 'record': {
      const value = def.valueType ? celTypeOf(def.valueType) : 'dyn';
      return typeof value === 'string' ? `map<string, ${value}>` : 'map<string, dyn>';
    }
    case 'object': {
      if (!asField || !def.shape) return 'map<string, dyn>';
      const fields: Record<string, CelFieldType> = {};
      for (const [key, field] of Object.entries(def.shape)) fields[key] = celTypeOf(field, true);
      return fields;
    }
    default:
      // nullable (null is not a string), union, unknown, any, date, lazy…
      return 'dyn';
  }
}
