import "@mantine/dates/styles.css";
import "dayjs/locale/zh-cn";

import { DatePickerInput, DatesProvider } from "@mantine/dates";
import { useTranslation } from "react-i18next";

export type DayRange = [string | null, string | null];

/** A from–to day picker in the console's language (Monday first for Chinese). */
export function DateRangeInput({
  value,
  onChange,
  label,
}: {
  value: DayRange;
  onChange: (value: DayRange) => void;
  label: string;
}) {
  const { i18n, t } = useTranslation();
  const chinese = i18n.language === "zh-CN";
  return (
    <DatesProvider settings={{ locale: chinese ? "zh-cn" : "en", firstDayOfWeek: chinese ? 1 : 0 }}>
      <DatePickerInput
        type="range"
        label={label}
        placeholder={t("shared.anyDate")}
        value={value}
        onChange={(next) => onChange(next as DayRange)}
        allowSingleDateInRange
        clearable
        valueFormat={chinese ? "YYYY年M月D日" : "MMM D, YYYY"}
        miw={220}
      />
    </DatesProvider>
  );
}
