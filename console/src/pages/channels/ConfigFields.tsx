import { Checkbox, NumberInput, PasswordInput, Select, Textarea, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";

import type { Schemas } from "../../api/client";
import { enumOf, kindOf, type Property } from "./config";

type ChannelType = Schemas["ChannelType"];

/** One input per field of a platform's config; credentials are password fields. */
export function ConfigFields({
  kind,
  values,
  onChange,
}: {
  kind: ChannelType;
  values: Record<string, string>;
  onChange: (name: string, value: string) => void;
}) {
  const { t } = useTranslation();
  const properties = (kind.config_schema.properties ?? {}) as Record<string, Property>;
  const required = new Set((kind.config_schema.required ?? []) as string[]);
  return (
    <>
      {Object.entries(properties).map(([name, property]) => {
        const label = name;
        const value = values[name] ?? "";
        const hint = property.default !== undefined && property.default !== "" ? t("channels.default", { value: JSON.stringify(property.default) }) : undefined;
        const common = { key: name, label, description: hint, required: required.has(name) };
        if (kind.credentials.includes(name))
          return <PasswordInput {...common} value={value} onChange={(e) => onChange(name, e.currentTarget.value)} autoComplete="new-password" />;
        switch (kindOf(property)) {
          case "enum":
            return <Select {...common} data={enumOf(property)} value={value || null} onChange={(v) => onChange(name, v ?? "")} clearable />;
          case "boolean":
            return <Checkbox key={name} label={label} checked={value === "true"} onChange={(e) => onChange(name, String(e.currentTarget.checked))} />;
          case "number":
            return <NumberInput {...common} value={value} onChange={(v) => onChange(name, String(v))} />;
          case "object":
            return <Textarea {...common} value={value} onChange={(e) => onChange(name, e.currentTarget.value)} placeholder="{}" autosize minRows={2} />;
          default:
            return <TextInput {...common} value={value} onChange={(e) => onChange(name, e.currentTarget.value)} />;
        }
      })}
    </>
  );
}
