import { Button, Group, Modal, Stack, Text } from "@mantine/core";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

/** A yes/no question before something that cannot be undone. */
export function ConfirmButton({
  label,
  title,
  message,
  onConfirm,
  loading,
  children,
}: {
  label: string;
  title: string;
  message: ReactNode;
  onConfirm: () => void;
  loading?: boolean;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  return (
    <>
      <Button color="red" variant="light" size="xs" onClick={() => setOpened(true)} aria-label={label}>
        {children ?? label}
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title={title} centered>
        <Stack>
          <Text>{message}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              {t("shared.cancel")}
            </Button>
            <Button
              color="red"
              loading={loading}
              onClick={() => {
                onConfirm();
                setOpened(false);
              }}
            >
              {t("shared.confirm")}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
