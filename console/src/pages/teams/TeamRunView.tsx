import { Badge, Card, Group, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { ErrorAlert, StatusBadge } from "../common";
import { useRunTrace, type RunEvent } from "../runs/useRunTrace";

interface Seat {
  member_id?: string;
  agent?: string;
  role?: string;
}

interface MemberState {
  seat: Seat;
  task?: string;
  status?: string;
  proposal?: string;
  evidence: { tool: string; excerpt: string }[];
}

/** One team run as its members worked on it, live while it goes. */
export function TeamRunView({ runId }: { runId: string }) {
  const { t } = useTranslation();
  const { run, events, error } = useRunTrace(runId);
  const members = new Map<string, MemberState>();
  let decision: { seat: Seat; text: string } | null = null;
  for (const event of events) {
    const payload = event.payload as Seat & Record<string, unknown>;
    if (event.type === "message.decision") {
      decision = { seat: payload, text: String(payload.text ?? "") };
      continue;
    }
    if (!event.type.startsWith("message.") || !payload.member_id) continue;
    const state = members.get(payload.member_id) ?? { seat: payload, evidence: [] };
    if (event.type === "message.task") state.task = String(payload.task ?? "");
    if (event.type === "message.status") state.status = String(payload.status ?? "");
    if (event.type === "message.proposal") state.proposal = String(payload.text ?? "");
    if (event.type === "message.evidence")
      state.evidence = (payload.evidence as MemberState["evidence"] | undefined) ?? [];
    members.set(payload.member_id, state);
  }
  const lead = decision?.seat.member_id;
  return (
    <Stack data-testid="team-run">
      {error ? <ErrorAlert error={error} /> : null}
      <Group>
        <Title order={4}>{t("teams.run")}</Title>
        {run.data && <StatusBadge status={run.data.status} />}
      </Group>
      {[...members.values()]
        .filter((m) => m.seat.member_id !== lead)
        .map((member) => (
          <Card key={member.seat.member_id} withBorder data-testid="team-proposal">
            <Group gap="xs">
              <Text fw={600}>{member.seat.agent}</Text>
              <Badge variant="light">{member.seat.role}</Badge>
              {member.status && <Badge color={member.status === "failed" ? "red" : "gray"}>{member.status}</Badge>}
            </Group>
            {member.proposal && <Text style={{ whiteSpace: "pre-wrap" }}>{member.proposal}</Text>}
            {member.evidence.map((item, index) => (
              <Text key={index} size="sm" c="dimmed">
                {item.tool}: {item.excerpt}
              </Text>
            ))}
          </Card>
        ))}
      {decision && (
        <Card withBorder bg="var(--mantine-color-blue-light)" data-testid="team-decision">
          <Text fw={600}>{t("teams.decision", { name: decision.seat.agent })}</Text>
          <Text style={{ whiteSpace: "pre-wrap" }}>{decision.text}</Text>
        </Card>
      )}
    </Stack>
  );
}

export type { RunEvent };
