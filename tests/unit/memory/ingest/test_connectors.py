"""MinerU and Feishu clients against loopback servers speaking their APIs, errors included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nexora.errors import InvalidInput, UpstreamFailed
from nexora.memory.ingest.connectors.feishu import (
    FeishuConfig,
    FeishuReader,
    FeishuRef,
    parse_ref,
)
from nexora.memory.ingest.connectors.mineru import MineruConfig, MineruParser
from nexora.memory.ingest.limits import IngestLimits
from tests.fakes.feishu_api import FakeFeishu, bullet, heading, text
from tests.fakes.mineru_api import FakeMinerU
from tests.fakes.web_site import LoopbackSite

PDF = b"%PDF-1.4 pretend"


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    with LoopbackSite() as running:
        yield running


def _mineru(site: LoopbackSite, token: str = "mineru-token", timeout: float = 5.0) -> MineruParser:  # noqa: S107
    config = MineruConfig(site.url(""), token, poll_seconds=0.01, timeout_seconds=timeout)
    return MineruParser(config, IngestLimits())


async def test_mineru_uploads_polls_and_reads_the_markdown(site: LoopbackSite) -> None:
    fake = FakeMinerU(
        site, markdown="# Scanned report\n\n表格识别结果 and text.", polls_before_done=2
    )
    document = await _mineru(site).parse("report.pdf", PDF, "/docs/report.pdf")
    assert document.source == "/docs/report.pdf" and document.media == "pdf"
    assert document.sections[0].text == "# Scanned report\n\n表格识别结果 and text."
    assert fake.requested["files"][0]["name"] == "report.pdf"
    assert fake.requested["model_version"] == "vlm"
    (upload,) = fake.uploads
    assert upload.body == PDF
    assert "authorization" not in upload.headers  # the pre-signed URL needs nothing else
    assert fake.polls == 2


async def test_mineru_reports_a_bad_token(site: LoopbackSite) -> None:
    FakeMinerU(site)
    with pytest.raises(UpstreamFailed, match="user authenticate failed") as caught:
        await _mineru(site, token="wrong").parse("a.pdf", PDF, "a.pdf")
    assert caught.value.extensions["upstream_code"] == "A0202"


async def test_mineru_reports_a_failed_parse(site: LoopbackSite) -> None:
    FakeMinerU(site, fail_with="file is encrypted")
    with pytest.raises(UpstreamFailed, match="could not parse the file: file is encrypted"):
        await _mineru(site).parse("a.pdf", PDF, "a.pdf")


async def test_mineru_gives_up_after_its_timeout(site: LoopbackSite) -> None:
    fake = FakeMinerU(site, never_finish=True)
    with pytest.raises(
        UpstreamFailed, match=r"did not finish parsing within 0.2 s \(last state: running\)"
    ):
        await _mineru(site, timeout=0.2).parse("a.pdf", PDF, "a.pdf")
    assert fake.polls >= 2


def _feishu(
    site: LoopbackSite,
    secret: str = "app-secret-value",  # noqa: S107
    timeout: float = 5.0,
) -> FeishuReader:
    config = FeishuConfig(site.url(""), "cli_a1b2c3d4e5", secret, timeout)
    return FeishuReader(config, IngestLimits())


async def test_feishu_reads_a_document_across_pages_of_blocks(site: LoopbackSite) -> None:
    fake = FakeFeishu(site, max_page_size=2)
    fake.add_document(
        "doxcnHandbook01",
        "员工手册",
        [
            heading(1, "Leave"),
            text("Everyone has 25 days."),
            bullet("Ask two weeks ahead."),
            heading(2, "年假"),
        ],
    )
    document = await _feishu(site).read(FeishuRef("docx", "doxcnHandbook01"))
    assert document.source == "feishu:docx/doxcnHandbook01"
    assert document.title == "员工手册" and document.media == "feishu"
    assert document.sections[0].text == (
        "# Leave\n\nEveryone has 25 days.\n\n- Ask two weeks ahead.\n\n## 年假"
    )
    pages = [s for s in site.requests if s.path.endswith("/blocks")]
    assert [p.query.get("page_token") for p in pages] == [None, "2", "4"]


async def test_feishu_resolves_wiki_nodes_to_their_document(site: LoopbackSite) -> None:
    fake = FakeFeishu(site)
    fake.add_document("doxcnWikiDoc01", "FAQ", [text("Reset passwords at the portal.")])
    fake.wiki["wikcnFaqNode01"] = ("docx", "doxcnWikiDoc01")
    fake.wiki["wikcnSheet0001"] = ("sheet", "shtcnX")
    document = await _feishu(site).read(FeishuRef("wiki", "wikcnFaqNode01"))
    assert document.source == "feishu:docx/doxcnWikiDoc01"
    assert document.sections[0].text == "Reset passwords at the portal."
    with pytest.raises(InvalidInput, match="sheet object"):
        await _feishu(site).read(FeishuRef("wiki", "wikcnSheet0001"))


async def test_feishu_reports_bad_app_credentials(site: LoopbackSite) -> None:
    FakeFeishu(site)
    with pytest.raises(UpstreamFailed, match=r"app secret invalid \(code 10014, HTTP 400\)"):
        await _feishu(site, secret="wrong").read(FeishuRef("docx", "doxcnHandbook01"))


async def test_feishu_times_out_cleanly(site: LoopbackSite) -> None:
    fake = FakeFeishu(site, slow_seconds=1.0)
    fake.add_document("doxcnSlowDoc01", "Slow", [text("late")])
    with pytest.raises(UpstreamFailed, match="did not answer in time"):
        await _feishu(site, timeout=0.2).read(FeishuRef("docx", "doxcnSlowDoc01"))


def test_feishu_references_and_urls() -> None:
    assert parse_ref("feishu:docx/doxcnAbc12345") == FeishuRef("docx", "doxcnAbc12345")
    assert parse_ref("https://acme.feishu.cn/wiki/wikcnAbc12345?from=x") == FeishuRef(
        "wiki", "wikcnAbc12345"
    )
    assert parse_ref("https://acme.larksuite.com/docx/doxusAbc12345") == FeishuRef(
        "docx", "doxusAbc12345"
    )
    assert parse_ref("https://example.com/docx/doxcnAbc12345") is None
    assert parse_ref("https://acme.feishu.cn/drive/folder/fldcnX") is None
    with pytest.raises(InvalidInput, match="feishu:docx/DOCUMENT_ID"):
        parse_ref("feishu:sheet/abc")
