import { Anchor, Stack, Tabs, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";

import { useAgentNames } from "../helpers";
import "../locales";
import { ChangesFeed } from "./ChangesFeed";
import { CoreBlocks } from "./CoreBlocks";
import { MemoryItems } from "./MemoryItems";
import { UploadDocuments } from "./UploadDocuments";

/** What an agent remembers: its core blocks, its items, and the writes it made by itself,
 * which people review and undo here. */
export function MemoryPage() {
  const { t } = useTranslation();
  const { agentId = "" } = useParams();
  const name = useAgentNames().get(agentId) ?? agentId;
  return (
    <Stack>
      <Anchor component={Link} to="/agents" size="sm">
        {t("agentEditor.back")}
      </Anchor>
      <Title order={2}>{t("memory.title", { name })}</Title>
      <Tabs defaultValue="changes" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="changes">{t("memory.tabs.changes")}</Tabs.Tab>
          <Tabs.Tab value="core">{t("memory.tabs.core")}</Tabs.Tab>
          <Tabs.Tab value="items">{t("memory.tabs.items")}</Tabs.Tab>
          <Tabs.Tab value="upload">{t("memory.tabs.upload")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="changes" pt="md">
          <ChangesFeed agentId={agentId} />
        </Tabs.Panel>
        <Tabs.Panel value="core" pt="md">
          <CoreBlocks agentId={agentId} />
        </Tabs.Panel>
        <Tabs.Panel value="items" pt="md">
          <MemoryItems agentId={agentId} />
        </Tabs.Panel>
        <Tabs.Panel value="upload" pt="md">
          <UploadDocuments agentId={agentId} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
