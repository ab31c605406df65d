import { Accordion, Anchor, Badge, Button, Code, Group, List, Stack, Text } from "@mantine/core";
import { IconBan, IconCheck, IconClockPause, IconTool } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import type { ToolStep } from "./turn";

const LOOK = {
  called: { color: "blue", icon: IconTool, label: "chat.tool.called" },
  result: { color: "green", icon: IconCheck, label: "chat.tool.result" },
  blocked: { color: "red", icon: IconBan, label: "chat.tool.blocked" },
  approval: { color: "yellow", icon: IconClockPause, label: "chat.tool.approval" },
} as const;

interface Props {
  step: ToolStep;
  admin: boolean;
  onDecide: ((command: "/confirm" | "/deny") => void) | null;
}

/** One tool call as a collapsible step: what was called, then its result or why it was not run. */
export function ToolStepView({ step, admin, onDecide }: Props) {
  const { t } = useTranslation();
  const look = LOOK[step.state];
  return (
    <Accordion variant="contained" chevronPosition="left" data-testid="tool-step" data-state={step.state}>
      <Accordion.Item value={step.callId || step.tool}>
        <Accordion.Control icon={<look.icon size={16} color={`var(--mantine-color-${look.color}-6)`} />}>
          <Group gap="xs">
            <Text size="sm">{t(look.label, { name: step.tool })}</Text>
            {step.danger && (
              <Badge size="xs" variant="light" color={look.color}>
                {step.danger}
              </Badge>
            )}
          </Group>
        </Accordion.Control>
        <Accordion.Panel>
          <Stack gap="xs">
            {step.args !== undefined && (
              <>
                <Text size="xs" fw={600}>
                  {t("chat.tool.arguments")}
                </Text>
                <Code block>{JSON.stringify(step.args, null, 2)}</Code>
              </>
            )}
            {step.output !== undefined && (
              <>
                <Text size="xs" fw={600}>
                  {t("chat.tool.output")}
                </Text>
                <Code block mah={300} style={{ overflow: "auto" }}>
                  {step.output}
                  {step.truncated ? "\n…" : ""}
                </Code>
              </>
            )}
            {step.reasons && step.reasons.length > 0 && (
              <>
                <Text size="xs" fw={600}>
                  {t("chat.tool.reasons")}
                </Text>
                <List size="sm">
                  {step.reasons.map((reason, index) => (
                    <List.Item key={index}>
                      <Code>{reason.rule}</Code> {reason.message}
                    </List.Item>
                  ))}
                </List>
              </>
            )}
          </Stack>
        </Accordion.Panel>
      </Accordion.Item>
      {step.state === "approval" && (
        <Group p="xs" gap="xs">
          {step.approver === "user" && onDecide && (
            <>
              <Button size="xs" color="green" onClick={() => onDecide("/confirm")}>
                {t("chat.tool.confirm")}
              </Button>
              <Button size="xs" color="red" variant="light" onClick={() => onDecide("/deny")}>
                {t("chat.tool.deny")}
              </Button>
            </>
          )}
          {admin && (
            <Anchor component={Link} to="/admin/approvals" size="sm">
              {t("chat.tool.review")}
            </Anchor>
          )}
        </Group>
      )}
    </Accordion>
  );
}
