import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import { Navigate, Route, Routes } from "react-router";

import { RequireAuth } from "./auth/RequireAuth";
import { Shell } from "./layout/Shell";
import { ChatPage } from "./pages/ChatPage";
import { LoginPage } from "./pages/LoginPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { Loading } from "./pages/common";

/** A page loaded on first visit: agents, runs and the admin center stay out of the first bundle. */
function page<K extends string>(
  load: () => Promise<Record<K, ComponentType>>,
  name: K,
): LazyExoticComponent<ComponentType> {
  return lazy(async () => ({ default: (await load())[name] }));
}

const AgentsPage = page(() => import("./pages/agents/AgentsPage"), "AgentsPage");
const AgentEditorPage = page(() => import("./pages/agents/AgentEditorPage"), "AgentEditorPage");
const MemoryPage = page(() => import("./pages/memory/MemoryPage"), "MemoryPage");
const TeamsPage = page(() => import("./pages/teams/TeamsPage"), "TeamsPage");
const TeamPage = page(() => import("./pages/teams/TeamPage"), "TeamPage");
const RolesPage = page(() => import("./pages/teams/RolesPage"), "RolesPage");
const PlaybooksPage = page(() => import("./pages/playbooks/PlaybooksPage"), "PlaybooksPage");
const PlaybookRunPage = page(() => import("./pages/playbooks/PlaybookRunPage"), "PlaybookRunPage");
const ChannelsPage = page(() => import("./pages/channels/ChannelsPage"), "ChannelsPage");
const ChannelPage = page(() => import("./pages/channels/ChannelPage"), "ChannelPage");
const CronPage = page(() => import("./pages/cron/CronPage"), "CronPage");
const RunsPage = page(() => import("./pages/runs/RunsPage"), "RunsPage");
const TracePage = page(() => import("./pages/runs/TracePage"), "TracePage");
const AdminLayout = page(() => import("./pages/admin/AdminLayout"), "AdminLayout");
const ApprovalsPage = page(() => import("./pages/admin/ApprovalsPage"), "ApprovalsPage");
const UsersPage = page(() => import("./pages/admin/UsersPage"), "UsersPage");
const GrantsPage = page(() => import("./pages/admin/GrantsPage"), "GrantsPage");
const AuditPage = page(() => import("./pages/admin/AuditPage"), "AuditPage");
const UsagePage = page(() => import("./pages/admin/UsagePage"), "UsagePage");
const ModelsPage = page(() => import("./pages/admin/ModelsPage"), "ModelsPage");
const PoliciesPage = page(() => import("./pages/admin/PoliciesPage"), "PoliciesPage");
const SkillsPage = page(() => import("./pages/admin/SkillsPage"), "SkillsPage");
const McpServersPage = page(() => import("./pages/admin/McpServersPage"), "McpServersPage");

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireAuth>
              <Shell />
            </RequireAuth>
          }
        >
          <Route index element={<Navigate to="/chat" replace />} />
          <Route path="chat/:sessionId?" element={<ChatPage />} />
          <Route path="agents" element={<AgentsPage />} />
          <Route path="agents/new" element={<AgentEditorPage />} />
          <Route path="agents/:agentId" element={<AgentEditorPage />} />
          <Route path="agents/:agentId/memory" element={<MemoryPage />} />
          <Route path="teams" element={<TeamsPage />} />
          <Route path="teams/roles" element={<RolesPage />} />
          <Route path="teams/:groupId" element={<TeamPage />} />
          <Route path="playbooks" element={<PlaybooksPage />} />
          <Route path="playbook-runs/:playbookRunId" element={<PlaybookRunPage />} />
          <Route path="channels" element={<ChannelsPage />} />
          <Route path="channels/:channelId" element={<ChannelPage />} />
          <Route path="cron" element={<CronPage />} />
          <Route path="runs" element={<RunsPage />} />
          <Route path="runs/:runId" element={<TracePage />} />
          <Route path="admin" element={<AdminLayout />}>
            <Route index element={<Navigate to="approvals" replace />} />
            <Route path="approvals" element={<ApprovalsPage />} />
            <Route path="users" element={<UsersPage />} />
            <Route path="grants" element={<GrantsPage />} />
            <Route path="audit" element={<AuditPage />} />
            <Route path="usage" element={<UsagePage />} />
            <Route path="models" element={<ModelsPage />} />
            <Route path="policies" element={<PoliciesPage />} />
            <Route path="skills" element={<SkillsPage />} />
            <Route path="mcp" element={<McpServersPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
