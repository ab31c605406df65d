import i18n from "i18next";

import en from "./en.json";
import zhCN from "./zh-CN.json";

// The strings of the agent, run, trace and admin pages travel with those lazily loaded
// pages instead of the first bundle; merged into the one translation namespace.
i18n.addResourceBundle("en", "translation", en, true, false);
i18n.addResourceBundle("zh-CN", "translation", zhCN, true, false);
