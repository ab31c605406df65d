import { Alert, Badge, Group, Loader, Paper, Stack, Text } from "@mantine/core";
import { lazy, Suspense } from "react";
import { useTranslation } from "react-i18next";

import type { Schemas } from "../api/client";
import { ToolStepView } from "./ToolStepView";
import type { LiveTurn, ToolStep } from "./turn";

const Markdown = lazy(() => import("./Markdown"));

function Answer({ text }: { text: string }) {
  return (
    <Suspense fallback={<Text style={{ whiteSpace: "pre-wrap" }}>{text}</Text>}>
      <Markdown text={text} />
    </Suspense>
  );
}

function Bubble({ role, children }: { role: "user" | "assistant"; children: React.ReactNode }) {
  const { t } = useTranslation();
  const user = role === "user";
  return (
    <Paper
      p="sm"
      withBorder
      maw="85%"
      ml={user ? "auto" : 0}
      bg={user ? "var(--mantine-primary-color-light)" : undefined}
      data-testid={user ? "message-user" : "message-assistant"}
      aria-label={user ? t("chat.you") : t("chat.assistant")}
    >
      {children}
    </Paper>
  );
}

interface Props {
  messages: Schemas["MessagePublic"][];
  turn: LiveTurn | null;
  /** Tool steps of past answers, by run. */
  pastSteps: Map<string, ToolStep[]>;
  admin: boolean;
  onDecide: (command: "/confirm" | "/deny") => void;
}

export function Messages({ messages, turn, pastSteps, admin, onDecide }: Props) {
  const { t } = useTranslation();
  // The live answer replaces its run's stored answer until that one is complete.
  const stored = turn ? messages.filter((m) => !(m.role === "assistant" && m.run_id === turn.runId)) : messages;
  return (
    <Stack gap="sm" aria-live="polite">
      {stored.map((message, index) => (
        <Bubble key={`${message.run_id}-${message.role}-${index}`} role={message.role === "user" ? "user" : "assistant"}>
          {message.role === "user" ? (
            <Text style={{ whiteSpace: "pre-wrap" }}>{message.content}</Text>
          ) : (
            <Stack gap="xs">
              {(pastSteps.get(message.run_id) ?? []).map((step, stepIndex) => (
                <ToolStepView key={step.callId || stepIndex} step={step} admin={admin} onDecide={null} />
              ))}
              <Answer text={message.content} />
            </Stack>
          )}
          {message.role === "assistant" && message.status === "cancelled" && (
            <Badge mt="xs" color="orange" variant="light">
              {t("chat.stopped")}
            </Badge>
          )}
        </Bubble>
      ))}
      {turn && (
        <Bubble role="assistant">
          <Stack gap="xs" data-testid="live-answer" data-status={turn.status}>
            {turn.parts.length === 0 && turn.status === "running" && (
              <Group gap="xs">
                <Loader size="xs" type="dots" />
                <Text size="sm" c="dimmed">
                  {t("chat.thinking")}
                </Text>
              </Group>
            )}
            {turn.parts.map((part, index) =>
              part.kind === "text" ? (
                <Answer key={index} text={part.text} />
              ) : (
                <ToolStepView
                  key={part.step.callId || index}
                  step={part.step}
                  admin={admin}
                  onDecide={turn.status === "waiting_approval" ? onDecide : null}
                />
              ),
            )}
            {turn.status === "waiting_approval" && (
              <Alert color="yellow" p="xs">
                {t("chat.waitingApproval")}
              </Alert>
            )}
            {turn.status === "cancelled" && (
              <Badge color="orange" variant="light">
                {t("chat.stopped")}
              </Badge>
            )}
            {turn.status === "failed" && (
              <Alert color="red" p="xs" role="alert">
                {t("chat.failed", { error: turn.error ?? "" })}
              </Alert>
            )}
          </Stack>
        </Bubble>
      )}
    </Stack>
  );
}
