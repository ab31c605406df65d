import { Badge, Group, Stack, Tabs, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { isAdmin, useMe } from "../../auth/useMe";
import { ErrorAlert, Loading } from "../common";
import "../locales";
import { TeamBlackboard } from "./TeamBlackboard";
import { TeamGrants } from "./TeamGrants";
import { TeamMembers } from "./TeamMembers";
import { TeamRuns } from "./TeamRuns";

/** One team: its members and lead, its runs (start one, follow it) and its blackboard. */
export function TeamPage() {
  const { t } = useTranslation();
  const { groupId = "" } = useParams();
  const admin = isAdmin(useMe().data);
  const team = useQuery({
    queryKey: ["groups", groupId],
    queryFn: async () =>
      unwrap(await api.GET("/api/groups/{group_id}", { params: { path: { group_id: groupId } } })),
  });
  if (team.isPending) return <Loading />;
  if (team.error) return <ErrorAlert error={team.error} />;
  return (
    <Stack>
      <Group>
        <Title order={2}>{t("teams.teamTitle", { name: team.data.name })}</Title>
        <Badge variant="light">{t(`teams.${team.data.default_mode}`)}</Badge>
      </Group>
      <Text c="dimmed">
        {team.data.lead ? t("teams.ledBy", { name: team.data.lead.agent }) : t("teams.noLead")}
      </Text>
      <Tabs defaultValue="members" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="members">{t("teams.members")}</Tabs.Tab>
          <Tabs.Tab value="runs">{t("teams.runs")}</Tabs.Tab>
          <Tabs.Tab value="blackboard">{t("teams.blackboard")}</Tabs.Tab>
          {admin && <Tabs.Tab value="grants">{t("teams.grants")}</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="members" pt="md">
          <TeamMembers team={team.data} admin={admin} />
        </Tabs.Panel>
        <Tabs.Panel value="runs" pt="md">
          <TeamRuns team={team.data} />
        </Tabs.Panel>
        <Tabs.Panel value="blackboard" pt="md">
          <TeamBlackboard groupId={groupId} />
        </Tabs.Panel>
        {admin && (
          <Tabs.Panel value="grants" pt="md">
            <TeamGrants groupId={groupId} />
          </Tabs.Panel>
        )}
      </Tabs>
    </Stack>
  );
}
