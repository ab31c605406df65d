import type { Schemas } from "../../api/client";

type ChannelType = Schemas["ChannelType"];

export interface Property {
  type?: string;
  enum?: string[];
  default?: unknown;
  description?: string;
  anyOf?: Property[];
  $ref?: string;
}

/** The kind of input a config property takes, from its JSON Schema. */
export function kindOf(property: Property): "enum" | "boolean" | "number" | "object" | "text" {
  const options = property.anyOf?.filter((p) => p.type !== "null") ?? [];
  const main = (options.length === 1 ? options[0] : undefined) ?? property;
  if (main.enum) return "enum";
  if (main.type === "boolean") return "boolean";
  if (main.type === "integer" || main.type === "number") return "number";
  if (main.$ref || main.type === "object" || main.type === "array") return "object";
  return "text";
}

export function enumOf(property: Property): string[] {
  return property.enum ?? property.anyOf?.find((p) => p.enum)?.enum ?? [];
}

/** Turns the form's strings into the values the platform's config takes. */
export function configValues(kind: ChannelType, values: Record<string, string>): Record<string, unknown> {
  const properties = (kind.config_schema.properties ?? {}) as Record<string, Property>;
  const result: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    if (raw === "") continue;
    const property = properties[name];
    const type = property ? kindOf(property) : "text";
    if (type === "number") result[name] = Number(raw);
    else if (type === "boolean") result[name] = raw === "true";
    else if (type === "object") result[name] = JSON.parse(raw);
    else result[name] = raw;
  }
  return result;
}

