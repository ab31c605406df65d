"""The one text analysis behind both full-text indexes and every query."""

from __future__ import annotations

from nexora.memory.text import analyze, index_text, query_terms


def test_chinese_is_cut_into_words_including_two_character_ones() -> None:
    terms = analyze("数据库备份策略")
    assert {"数据", "数据库", "备份", "策略"} <= set(terms)


def test_chinese_particles_are_not_terms() -> None:
    assert "的" not in analyze("我的数据库")
    assert "数据库" in analyze("我的数据库")


def test_english_is_lowercased_stemmed_and_stripped_of_stop_words() -> None:
    assert analyze("The Dogs were RUNNING to the backups") == ["dog", "run", "backup"]


def test_a_query_and_a_text_meet_on_the_same_stem() -> None:
    assert set(query_terms("backed up databases")) <= set(analyze("We back up the database"))


def test_negations_are_kept() -> None:
    assert "not" in analyze("do not deploy on fridays")


def test_full_width_forms_fold_to_ascii() -> None:
    assert analyze("\uff2d\uff59\uff33\uff31\uff2c\u3000\uff18") == ["mysql", "8"]


def test_mixed_text_keeps_both_scripts_in_order() -> None:
    assert analyze("用 PostgreSQL 做备份") == ["用", "postgresql", "做", "备份"]


def test_query_terms_are_distinct_and_the_index_text_keeps_repeats() -> None:
    assert query_terms("backup backup 备份 备份") == ["backup", "备份"]
    assert index_text("backup backups") == "backup backup"


def test_punctuation_and_empty_text_give_no_terms() -> None:
    assert analyze("  ,,, \uff01\uff1f —— ") == []
    assert analyze("") == []
