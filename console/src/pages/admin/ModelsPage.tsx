import { Badge, Button, Card, Group, Modal, NumberInput, PasswordInput, Select, Stack, Switch, Table, TagsInput, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";
import { ConfirmButton } from "../ConfirmButton";

type Provider = Schemas["ProviderSettingPublic"];

function ProviderForm({ provider, onClose }: { provider: Provider | null; onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const presets = useQuery({ queryKey: ["admin", "presets"], queryFn: async () => unwrap(await api.GET("/api/admin/provider-presets")) });
  const form = useForm({
    initialValues: {
      name: provider?.name ?? "",
      preset: provider?.preset ?? "openai",
      base_url: provider?.base_url ?? "",
      api_key: "",
      models: provider?.models ?? [],
      timeout_seconds: provider?.timeout_seconds ?? 60,
      enabled: provider?.enabled ?? true,
    },
    validate: { name: (v) => (/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(v) ? null : t("models.nameRule")) },
  });
  const preset = presets.data?.find((p) => p.name === form.values.preset);
  const save = useMutation({
    mutationFn: async (v: typeof form.values) =>
      unwrap(await api.PUT("/api/admin/providers/{name}", {
        params: { path: { name: v.name } },
        body: {
          preset: v.preset,
          base_url: v.base_url.trim() || null,
          // Left empty when editing: keep the stored key.
          api_key: v.api_key || (provider ? null : undefined),
          models: v.models,
          timeout_seconds: v.timeout_seconds,
          enabled: v.enabled,
        },
      })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["admin", "providers"] });
      void queryClient.invalidateQueries({ queryKey: ["models"] });
      onClose();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <form onSubmit={form.onSubmit((v) => save.mutate(v))}>
      <Stack>
        <TextInput label={t("models.name")} required disabled={provider !== null} {...form.getInputProps("name")} />
        <Select label={t("models.preset")} allowDeselect={false} data={(presets.data ?? []).map((p) => p.name)} {...form.getInputProps("preset")} />
        <TextInput label={t("models.baseUrl")} placeholder={preset?.base_url} {...form.getInputProps("base_url")} />
        <PasswordInput label={t("models.apiKey")} description={provider?.api_key_set ? t("models.keyKept", { masked: provider.api_key_masked }) : undefined}
          required={!provider && preset?.key_required} {...form.getInputProps("api_key")} />
        <TagsInput label={t("models.models")} data={preset?.models ?? []} {...form.getInputProps("models")} />
        <NumberInput label={t("models.timeout")} min={1} max={600} {...form.getInputProps("timeout_seconds")} />
        <Switch label={t("models.enabled")} {...form.getInputProps("enabled", { type: "checkbox" })} />
        <Group justify="flex-end"><Button type="submit" loading={save.isPending}>{t("shared.save")}</Button></Group>
      </Stack>
    </form>
  );
}

/** Model providers of the org: configure, test with a real call, remove; and the models. */
export function ModelsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Provider | "new" | null>(null);
  const providers = useQuery({ queryKey: ["admin", "providers"], queryFn: async () => unwrap(await api.GET("/api/admin/providers")) });
  const models = useQuery({ queryKey: ["models"], queryFn: async () => unwrap(await api.GET("/api/models")) });
  const test = useMutation({
    mutationFn: async (name: string) => unwrap(await api.POST("/api/admin/providers/{name}/test", { params: { path: { name } } })),
    onSuccess: (r, name) =>
      notifications.show({ color: r.ok ? "green" : "red", title: t(r.ok ? "models.testOk" : "models.testFailed", { name }),
        message: `${r.detail} (${t("trace.ms", { value: format.number(r.latency_ms) })})` }),
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  const remove = useMutation({
    mutationFn: async (name: string) => unwrap(await api.DELETE("/api/admin/providers/{name}", { params: { path: { name } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["admin", "providers"] }),
  });
  return (
    <Stack>
      <Group justify="flex-end">
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing("new")}>{t("models.add")}</Button>
      </Group>
      {providers.isPending && <Loading />}
      {providers.error && <ErrorAlert error={providers.error} />}
      {providers.data?.length === 0 && <Text c="dimmed">{t("models.noneConfigured")}</Text>}
      {providers.data && providers.data.length > 0 && (
        <Table.ScrollContainer minWidth={760}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("models.name")}</Table.Th>
                <Table.Th>{t("models.preset")}</Table.Th>
                <Table.Th>{t("models.baseUrl")}</Table.Th>
                <Table.Th>{t("models.apiKey")}</Table.Th>
                <Table.Th>{t("models.models")}</Table.Th>
                <Table.Th>{t("shared.actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {providers.data.map((p) => (
                <Table.Tr key={p.name}>
                  <Table.Td>{p.name} {!p.enabled && <Badge color="gray" size="xs">{t("models.disabled")}</Badge>}</Table.Td>
                  <Table.Td>{p.preset}</Table.Td>
                  <Table.Td>{p.effective_base_url}</Table.Td>
                  <Table.Td>{p.api_key_masked ?? "—"}</Table.Td>
                  <Table.Td>{p.models.join(", ")}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="light" loading={test.isPending && test.variables === p.name} onClick={() => test.mutate(p.name)}>{t("models.test")}</Button>
                      <Button size="xs" variant="default" onClick={() => setEditing(p)}>{t("shared.edit")}</Button>
                      <ConfirmButton label={t("shared.delete")} title={t("models.deleteTitle")} message={t("models.deleteConfirm", { name: p.name })} onConfirm={() => remove.mutate(p.name)} />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Card withBorder>
        <Text fw={600} mb="xs">{t("models.available")}</Text>
        <Group gap="xs">
          {(models.data ?? []).map((m) => (
            <Badge key={m.id} variant={m.is_default ? "filled" : "light"}>{`${m.id} · ${t(`models.sources.${m.source}`)}`}</Badge>
          ))}
          {models.data?.length === 0 && <Text c="dimmed" size="sm">{t("models.noModels")}</Text>}
        </Group>
      </Card>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? t("models.add") : t("shared.edit")}>
        {editing !== null && <ProviderForm provider={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}
