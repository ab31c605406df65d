import { Button, Group, Textarea } from "@mantine/core";
import { IconPlayerStop, IconSend } from "@tabler/icons-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";

interface Props {
  busy: boolean;
  disabled: boolean;
  onSend: (message: string) => void;
  onStop: () => void;
}

export function Composer({ busy, disabled, onSend, onStop }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState("");

  function submit() {
    const message = text.trim();
    if (!message || busy || disabled) return;
    onSend(message);
    setText("");
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <Textarea
          label={t("chat.message")}
          labelProps={{ className: "visually-hidden" }}
          placeholder={t("chat.placeholder")}
          autosize
          minRows={1}
          maxRows={8}
          style={{ flex: 1 }}
          value={text}
          disabled={disabled}
          onChange={(event) => setText(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
              event.preventDefault();
              submit();
            }
          }}
        />
        {busy ? (
          <Button color="red" variant="light" leftSection={<IconPlayerStop size={16} />} onClick={onStop}>
            {t("chat.stop")}
          </Button>
        ) : (
          <Button type="submit" leftSection={<IconSend size={16} />} disabled={disabled || !text.trim()}>
            {t("chat.send")}
          </Button>
        )}
      </Group>
    </form>
  );
}
