import { ActionIcon, Button, CloseButton, FileButton, Group, Pill, Stack, Text, Textarea, Tooltip } from "@mantine/core";
import { IconPaperclip, IconPlayerStop, IconSend } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import { uploadFiles, type StoredFile } from "./uploads";

interface Props {
  busy: boolean;
  disabled: boolean;
  /** The agent files go to when it has file tools; null hides the attach button. */
  attachTo: string | null;
  onSend: (message: string) => void;
  onStop: () => void;
}

export function Composer({ busy, disabled, attachTo, onSend, onStop }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [attached, setAttached] = useState<StoredFile[]>([]);
  const [uploading, setUploading] = useState(false);
  const [uploadError, setUploadError] = useState<string | null>(null);

  // Files went to one agent's workspace: another agent would not find them.
  useEffect(() => {
    setAttached([]);
    setUploadError(null);
  }, [attachTo]);

  async function attach(files: File[]) {
    if (!attachTo || files.length === 0) return;
    setUploading(true);
    setUploadError(null);
    try {
      const stored = await uploadFiles(attachTo, files);
      setAttached((current) => [...current, ...stored]);
    } catch (exc) {
      setUploadError(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setUploading(false);
    }
  }

  function submit() {
    const typed = text.trim();
    if ((!typed && attached.length === 0) || busy || disabled || uploading) return;
    const line = attached.length ? t("chat.attachedLine", { paths: attached.map((f) => f.path).join(", ") }) : "";
    onSend([typed, line].filter(Boolean).join("\n\n"));
    setText("");
    setAttached([]);
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Stack gap={4}>
        {attached.length > 0 && (
          <Group gap="xs" data-testid="attachments">
            {attached.map((file) => (
              <Pill
                key={file.path}
                withRemoveButton
                removeButtonProps={{ "aria-label": t("chat.removeFile", { name: file.path }) }}
                onRemove={() => setAttached((current) => current.filter((f) => f.path !== file.path))}
              >
                {file.path}
              </Pill>
            ))}
          </Group>
        )}
        {uploadError && (
          <Group gap={4} role="alert">
            <Text size="sm" c="red">
              {t("chat.uploadFailed", { error: uploadError })}
            </Text>
            <CloseButton size="sm" aria-label={t("chat.dismiss")} onClick={() => setUploadError(null)} />
          </Group>
        )}
        <Group align="flex-end" gap="xs" wrap="nowrap">
          {attachTo && (
            <FileButton multiple onChange={(files) => void attach(files)} disabled={disabled || uploading}>
              {(props) => (
                <Tooltip label={t("chat.attach")}>
                  <ActionIcon
                    {...props}
                    variant="default"
                    size="input-sm"
                    aria-label={t("chat.attach")}
                    loading={uploading}
                  >
                    <IconPaperclip size={18} />
                  </ActionIcon>
                </Tooltip>
              )}
            </FileButton>
          )}
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
            <Button
              type="submit"
              leftSection={<IconSend size={16} />}
              disabled={disabled || uploading || (!text.trim() && attached.length === 0)}
            >
              {t("chat.send")}
            </Button>
          )}
        </Group>
      </Stack>
    </form>
  );
}
