import { ActionIcon, Button, Group, Select, useMantineColorScheme } from "@mantine/core";
import { IconLogout, IconMoon, IconSun } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";

import { api } from "../api/client";
import { clearTokens } from "../auth/tokens";
import type { Me } from "../auth/useMe";
import { LANGUAGES } from "../i18n";

export function LanguageSelect() {
  const { t, i18n } = useTranslation();
  return (
    <Select
      aria-label={t("header.language")}
      data={LANGUAGES.map((l) => ({ value: l.value, label: l.label }))}
      value={i18n.language}
      onChange={(value) => value && void i18n.changeLanguage(value)}
      allowDeselect={false}
      w={120}
      size="xs"
      comboboxProps={{ withinPortal: true }}
    />
  );
}

export function ThemeToggle() {
  const { t } = useTranslation();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const dark = colorScheme === "dark";
  return (
    <ActionIcon
      variant="default"
      size="lg"
      aria-label={dark ? t("header.lightTheme") : t("header.darkTheme")}
      onClick={() => setColorScheme(dark ? "light" : "dark")}
    >
      {dark ? <IconSun size={18} /> : <IconMoon size={18} />}
    </ActionIcon>
  );
}

export function HeaderControls({ me }: { me: Me | undefined }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  async function logout() {
    // The server revokes the refresh token; whatever it answers, this tab forgets it.
    await api.POST("/api/auth/logout").catch(() => undefined);
    clearTokens();
    queryClient.clear();
    void navigate("/login", { replace: true });
  }

  return (
    <Group gap="xs" wrap="nowrap">
      <LanguageSelect />
      <ThemeToggle />
      {me && (
        <Button variant="subtle" size="xs" leftSection={<IconLogout size={16} />} onClick={() => void logout()}>
          {t("header.logout")}
        </Button>
      )}
    </Group>
  );
}
