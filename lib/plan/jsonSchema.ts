import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { didYouMean } from "../nearest";

/**
 * Checks a value against the JSON Schema subset policy `configSchema`s use here: type, enum, const,
 * pattern, length and range bounds, properties, required, additionalProperties, propertyNames and
 * items. A keyword outside the subset is reported as unsupported rather than ignored, so that a
 * schema this checker cannot read never passes a value silently.
 */

export interface SchemaProblem {
  /** JSON path below the checked value, e.g. `models[1].status`. */
  readonly path: string;
  readonly message: string;
}

const SUPPORTED = new Set([
  "$schema", "type", "enum", "const", "pattern", "format", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
  "minItems", "maxItems", "properties", "required", "additionalProperties", "propertyNames", "items", "default", "description", "title",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function matchesType(v: unknown, type: string): boolean {
  const t = typeOf(v);
  return t === type || (type === "number" && t === "integer");
}

const shown = (v: unknown) => (typeof v === "object" && v !== null ? (Array.isArray(v) ? "a list" : "an object") : JSON.stringify(v));

export function checkSchema(value: unknown, schema: PolicyConfigJSONSchema | boolean, path = ""): SchemaProblem[] {
  if (schema === true) return [];
  if (schema === false) return [{ path, message: "is not allowed here" }];
  const out: SchemaProblem[] = [];
  const add = (message: string, at = path) => out.push({ path: at, message });
  const child = (key: string | number) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  const s = schema as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!SUPPORTED.has(k)) add(`the policy's config schema uses "${k}", which the offline plan cannot check; refusing rather than guessing`);

  const types = s.type === undefined ? [] : ([s.type].flat() as string[]);
  if (types.length > 0 && !types.some((t) => matchesType(value, t))) {
    add(`expected ${types.join(" or ")}, got ${typeOf(value)} ${shown(value)}`);
    return out;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    add(`${shown(value)} is not allowed; allowed: ${s.enum.map((e) => JSON.stringify(e)).join(", ")}${typeof value === "string" ? didYouMean(value, s.enum.filter((e): e is string => typeof e === "string")) : ""}`);
  }
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) add(`must be ${JSON.stringify(s.const)}`);
  if (typeof value === "string") {
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) add(`${JSON.stringify(value)} does not match ${s.pattern}`);
    if (typeof s.minLength === "number" && value.length < s.minLength) add(`must be at least ${s.minLength} characters`);
    if (typeof s.maxLength === "number" && value.length > s.maxLength) add(`must be at most ${s.maxLength} characters`);
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) add(`${value} is below the minimum ${s.minimum}`);
    if (typeof s.maximum === "number" && value > s.maximum) add(`${value} is above the maximum ${s.maximum}`);
    if (typeof s.exclusiveMinimum === "number" && value <= s.exclusiveMinimum) add(`${value} must be greater than ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === "number" && value >= s.exclusiveMaximum) add(`${value} must be less than ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) add(`needs at least ${s.minItems} items`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems) add(`allows at most ${s.maxItems} items`);
    const items = s.items as PolicyConfigJSONSchema | boolean | undefined;
    if (items !== undefined) value.forEach((v, i) => out.push(...checkSchema(v, items, child(i))));
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, PolicyConfigJSONSchema | boolean>;
    for (const key of (s.required as string[] | undefined) ?? []) if (!(key in obj)) add(`is required`, child(key));
    for (const [key, v] of Object.entries(obj)) {
      if (key in properties) out.push(...checkSchema(v, properties[key], child(key)));
      else if (s.additionalProperties === false) add(`unknown key "${key}"${didYouMean(key, Object.keys(properties))}; allowed keys: ${Object.keys(properties).join(", ") || "none"}`, child(key));
      else if (s.additionalProperties !== undefined) out.push(...checkSchema(v, s.additionalProperties as PolicyConfigJSONSchema | boolean, child(key)));
      if (s.propertyNames !== undefined) out.push(...checkSchema(key, s.propertyNames as PolicyConfigJSONSchema | boolean, child(key)).map((p) => ({ ...p, message: `key: ${p.message}` })));
    }
  }
  return out;
}
