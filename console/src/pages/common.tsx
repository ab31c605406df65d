import { Alert, Badge, Center, Loader } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

export function Loading() {
  const { t } = useTranslation();
  return (
    <Center p="xl">
      <Loader aria-label={t("common.loading")} />
    </Center>
  );
}

export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" icon={<IconAlertCircle />} title={t("common.error")} role="alert">
      {error instanceof Error ? error.message : String(error)}
    </Alert>
  );
}

const STATUS_COLORS: Record<string, string> = {
  pending: "gray",
  running: "blue",
  waiting_approval: "yellow",
  completed: "green",
  failed: "red",
  cancelled: "orange",
};

export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status] ?? "gray"} variant="light">
      {t(`status.${status}`, { defaultValue: status })}
    </Badge>
  );
}
