import { Anchor, Badge, Code, Group, List, Paper, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconBan, IconCpu, IconTool } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { useFormat } from "../../i18n/format";
import { millisBetween, type Entry, type ToolCall } from "./timeline";

function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <Code block aria-label={label} style={{ maxHeight: 240, overflow: "auto", whiteSpace: "pre-wrap" }}>
      {typeof value === "string" ? value : JSON.stringify(value, null, 2)}
    </Code>
  );
}

function Reasons({ reasons }: { reasons: unknown }) {
  if (!Array.isArray(reasons) || reasons.length === 0) return null;
  return (
    <List size="sm">
      {reasons.map((reason: { rule?: string; message?: string }, i) => (
        <List.Item key={i}>
          {reason.message ?? JSON.stringify(reason)} {reason.rule && <Code>{reason.rule}</Code>}
        </List.Item>
      ))}
    </List>
  );
}

function ToolCallCard({ call, canReview }: { call: ToolCall; canReview: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const took = millisBetween(call.called, call.result);
  const approvalId = call.approval?.payload.approval_id;
  return (
    <Paper withBorder p="sm" data-testid="trace-tool-call">
      <Stack gap="xs">
        <Group gap="xs">
          <IconTool size={16} aria-hidden />
          <Text fw={600}>{call.tool}</Text>
          {call.result && <Badge color="green" variant="light">{t("trace.done")}</Badge>}
          {call.blocked && <Badge color="red" variant="light">{t("trace.blocked")}</Badge>}
          {call.approval && <Badge color="yellow" variant="light">{t("trace.approval")}</Badge>}
          {took !== null && (
            <Text size="sm" c="dimmed">
              {t("trace.ms", { value: format.number(took) })}
            </Text>
          )}
        </Group>
        {call.called && (
          <>
            <Text size="sm" fw={500}>{t("trace.input")}</Text>
            <Json value={call.called.payload.args} label={t("trace.input")} />
          </>
        )}
        {call.result && (
          <>
            <Text size="sm" fw={500}>{t("trace.output")}</Text>
            <Json value={call.result.payload.content} label={t("trace.output")} />
          </>
        )}
        {call.blocked && (
          <Stack gap={4}>
            <Group gap="xs">
              <IconBan size={16} aria-hidden />
              <Text size="sm">{t("trace.blockedDanger", { danger: t(`danger.${String(call.blocked.payload.danger)}`) })}</Text>
            </Group>
            <Reasons reasons={call.blocked.payload.reasons} />
          </Stack>
        )}
        {call.approval && (
          <Stack gap={4}>
            <Group gap="xs">
              <IconAlertTriangle size={16} aria-hidden />
              <Text size="sm">
                {t("trace.waitsFor", {
                  approver: t(`trace.approver.${String(call.approval.payload.approver)}`, {
                    defaultValue: String(call.approval.payload.approver),
                  }),
                })}
              </Text>
              {canReview && typeof approvalId === "string" && (
                <Anchor component={Link} to={`/admin/approvals?focus=${approvalId}`} size="sm">
                  {t("trace.review")}
                </Anchor>
              )}
            </Group>
            <Reasons reasons={call.approval.payload.reasons} />
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}

export function TraceEntry({ entry, canReview }: { entry: Entry; canReview: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (entry.kind === "tool") return <ToolCallCard call={entry} canReview={canReview} />;
  const { event } = entry;
  const p = event.payload;
  if (event.type === "llm.called") {
    return (
      <Paper withBorder p="sm" data-testid="trace-llm-call">
        <Group gap="xs">
          <IconCpu size={16} aria-hidden />
          <Text fw={600}>{`${String(p.provider)}:${String(p.model)}`}</Text>
          <Badge variant="light">{t("trace.promptTokens", { value: format.number(Number(p.prompt_tokens)) })}</Badge>
          <Badge variant="light" color="grape">
            {t("trace.completionTokens", { value: format.number(Number(p.completion_tokens)) })}
          </Badge>
          <Text size="sm" c="dimmed">
            {t("trace.ms", { value: format.number(Number(p.duration_ms)) })}
          </Text>
        </Group>
      </Paper>
    );
  }
  return (
    <Paper withBorder p="sm">
      <Group gap="xs" mb={4}>
        <Badge variant="outline">{event.type}</Badge>
        <Text size="xs" c="dimmed">{format.dateTime(event.created_at)}</Text>
      </Group>
      {Object.keys(p).length > 0 && <Json value={p} label={event.type} />}
    </Paper>
  );
}
