import { Alert, Button, Center, Group, Paper, PasswordInput, Stack, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertCircle } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate, useSearchParams } from "react-router";

import { errorOf } from "../api/http";
import { safeNext } from "../auth/paths";
import { setTokens, type Tokens } from "../auth/tokens";
import { LanguageSelect, ThemeToggle } from "../layout/HeaderControls";

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const expired = (location.state as { expired?: boolean } | null)?.expired === true;
  const form = useForm({
    initialValues: { username: "", password: "" },
    validate: {
      username: (v) => (v.trim() ? null : t("login.usernameRequired")),
      password: (v) => (v ? null : t("login.passwordRequired")),
    },
  });

  async function submit(values: { username: string; password: string }) {
    setBusy(true);
    setError(null);
    try {
      // Plain fetch: a refused login is an answer to show, not an expired session.
      const response = await fetch("/api/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: values.username.trim(), password: values.password }),
      });
      if (!response.ok) {
        setError((await errorOf(response)).detail);
        return;
      }
      setTokens((await response.json()) as Tokens);
      queryClient.clear();
      void navigate(safeNext(params.get("next")), { replace: true });
    } catch {
      setError(t("login.unreachable"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={380} component="main">
        <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
          <Stack>
            <Group justify="space-between">
              <Title order={1} size="h3">
                {t("login.title")}
              </Title>
              <Group gap="xs">
                <LanguageSelect />
                <ThemeToggle />
              </Group>
            </Group>
            {expired && !error && (
              <Alert color="yellow" role="status">
                {t("login.expired")}
              </Alert>
            )}
            {error && (
              <Alert color="red" icon={<IconAlertCircle />} role="alert" title={t("login.failed")}>
                {error}
              </Alert>
            )}
            <TextInput
              label={t("login.username")}
              autoComplete="username"
              autoFocus
              {...form.getInputProps("username")}
            />
            <PasswordInput
              label={t("login.password")}
              autoComplete="current-password"
              {...form.getInputProps("password")}
            />
            <Button type="submit" loading={busy} fullWidth>
              {t("login.submit")}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
