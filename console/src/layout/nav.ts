import { IconClock, IconMessages, IconPlayerPlay, IconPlugConnected, IconRobot, IconShieldLock, IconUsersGroup } from "@tabler/icons-react";
import type { ComponentType } from "react";

export interface NavItem {
  to: string;
  label: string; // an i18n key
  icon: ComponentType<{ size?: number; stroke?: number }>;
  adminOnly?: boolean;
}

export const NAV_ITEMS: NavItem[] = [
  { to: "/chat", label: "nav.chat", icon: IconMessages },
  { to: "/agents", label: "nav.agents", icon: IconRobot },
  { to: "/teams", label: "nav.teams", icon: IconUsersGroup },
  { to: "/channels", label: "nav.channels", icon: IconPlugConnected },
  { to: "/cron", label: "nav.cron", icon: IconClock },
  { to: "/runs", label: "nav.runs", icon: IconPlayerPlay },
  { to: "/admin", label: "nav.admin", icon: IconShieldLock, adminOnly: true },
];
