import { Badge, Button, Card, Code, Group, List, SegmentedControl, Stack, Text, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";
import { useUserNames } from "../helpers";

type Approval = Schemas["ApprovalPublic"];
type Status = Schemas["ApprovalStatus"];
const RISK_COLORS: Record<string, string> = { low: "green", medium: "yellow", high: "red", critical: "red" };

function Finding({ finding }: { finding: unknown }) {
  if (typeof finding !== "object" || finding === null) return <List.Item>{String(finding)}</List.Item>;
  const f = finding as Record<string, unknown>;
  const where = f.file ? ` (${String(f.file)}${f.line ? `:${String(f.line)}` : ""})` : "";
  return (
    <List.Item>
      {f.severity || f.verdict ? <Badge size="xs" mr={6} color="orange">{String(f.severity ?? f.verdict)}</Badge> : null}
      {String(f.message ?? JSON.stringify(f))}
      {where}
      {f.rule ? <Code ml={6}>{String(f.rule)}</Code> : null}
    </List.Item>
  );
}

function ApprovalCard({ approval, requester }: { approval: Approval; requester: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const done = () => void queryClient.invalidateQueries({ queryKey: ["admin", "approvals"] });
  const decide = useMutation({
    mutationFn: async (approve: boolean) => {
      const path = { params: { path: { approval_id: approval.id } } };
      if (approve) return unwrap(await api.POST("/api/admin/approvals/{approval_id}/approve", path));
      return unwrap(await api.POST("/api/admin/approvals/{approval_id}/reject", { ...path, body: { reason } }));
    },
    onSuccess: (decided) => {
      notifications.show({ color: "green", message: t(`approvals.${decided.status}`, { defaultValue: decided.status }) });
      done();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  const toolCall = approval.kind === "tool_call";
  const subject = toolCall ? String(approval.payload.tool ?? approval.target) : approval.target;

  return (
    <Card withBorder data-testid="approval-card">
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Badge color={RISK_COLORS[approval.risk] ?? "gray"}>{t(`danger.${approval.risk}`, { defaultValue: approval.risk })}</Badge>
            <Text fw={600}>{t(`approvals.kinds.${approval.kind}`, { defaultValue: approval.kind })}</Text>
            <Text>{`${approval.capability} · ${approval.action} · ${subject}`}</Text>
          </Group>
          <Badge variant="outline">{t(`approvals.${approval.status}`, { defaultValue: approval.status })}</Badge>
        </Group>
        <Text size="sm" c="dimmed">
          {t("approvals.requested", { who: requester, when: format.dateTime(approval.created_at) })}
          {approval.status === "pending" && ` · ${t("approvals.expires", { when: format.relative(approval.expires_at) })}`}
        </Text>
        {toolCall && approval.payload.args !== undefined && (
          <Code block>{JSON.stringify(approval.payload.args, null, 2)}</Code>
        )}
        {!toolCall && <Code block style={{ maxHeight: 200, overflow: "auto" }}>{JSON.stringify(approval.payload, null, 2)}</Code>}
        {approval.findings.length > 0 && (
          <>
            <Text size="sm" fw={500}>{toolCall ? t("approvals.reasons") : t("approvals.findings")}</Text>
            <List size="sm">{approval.findings.map((f, i) => <Finding key={i} finding={f} />)}</List>
          </>
        )}
        {approval.reason && <Text size="sm">{t("approvals.reason")}: {approval.reason}</Text>}
        {approval.status === "pending" && (
          <Group align="flex-end">
            <Textarea label={t("approvals.reasonLabel")} value={reason} onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={1} style={{ flex: 1 }} />
            <Button color="green" onClick={() => decide.mutate(true)} loading={decide.isPending && decide.variables}>{t("approvals.approve")}</Button>
            <Button color="red" variant="light" disabled={!reason.trim()} onClick={() => decide.mutate(false)} loading={decide.isPending && !decide.variables}>
              {t("approvals.reject")}
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

/** Capability changes and tool calls waiting for an admin, and the ones decided. */
export function ApprovalsPage() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<Status>("pending");
  const users = useUserNames();
  const approvals = useQuery({
    queryKey: ["admin", "approvals", status],
    queryFn: async () => unwrap(await api.GET("/api/admin/approvals", { params: { query: { status, limit: 100 } } })),
    refetchInterval: status === "pending" ? 5000 : false,
  });
  const statuses: Status[] = ["pending", "approved", "rejected", "expired"];
  return (
    <Stack>
      <SegmentedControl value={status} onChange={(v) => setStatus(v as Status)} aria-label={t("approvals.status")}
        data={statuses.map((s) => ({ value: s, label: t(`approvals.${s}`, { defaultValue: s }) }))} style={{ alignSelf: "flex-start" }} />
      {approvals.isPending && <Loading />}
      {approvals.error && <ErrorAlert error={approvals.error} />}
      {approvals.data?.items.length === 0 && <Text c="dimmed">{t("approvals.none")}</Text>}
      {approvals.data?.items.map((a) => (
        <ApprovalCard key={a.id} approval={a} requester={(a.requester_id && users.get(a.requester_id)) || a.requester_id || "—"} />
      ))}
    </Stack>
  );
}
