import { Stack, Tabs, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Navigate, Outlet, useLocation, useNavigate } from "react-router";

import { isAdmin, useMe } from "../../auth/useMe";
import { Loading } from "../common";
import "../locales";

const ADMIN_SECTIONS = [
  "approvals",
  "users",
  "grants",
  "audit",
  "usage",
  "models",
  "policies",
  "skills",
  "mcp",
] as const;

/** The admin center: one tab per section, each its own route (and lazily loaded chunk). */
export function AdminLayout() {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  if (me.isPending) return <Loading />;
  if (!isAdmin(me.data)) return <Navigate to="/chat" replace />;
  const section = location.pathname.split("/")[2] ?? "approvals";

  return (
    <Stack>
      <Title order={2}>{t("admin.title")}</Title>
      <Tabs value={section} onChange={(value) => value && void navigate(`/admin/${value}`)} keepMounted={false}>
        <Tabs.List style={{ overflowX: "auto", flexWrap: "nowrap" }}>
          {ADMIN_SECTIONS.map((name) => (
            <Tabs.Tab key={name} value={name}>
              {t(`admin.sections.${name}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Outlet />
    </Stack>
  );
}
