from __future__ import annotations

import json
import marshal
import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.search.index import (
    _SPACES,
    FUZZY_PENALTY,
    SNIPPET_WIDTH,
    Document,
    Hit,
    SearchIndex,
    _FuzzyVocabulary,
    _get_stemmer,
    _has_ukrainian,
    _plain_text,
    _prepare,
    _QueryTerm,
    _tokens,
    _window,
    _within_one_edit,
    analyze,
    analyze_document,
)


def doc(key: str, title: str = "", body: str = "", tags: tuple[str, ...] = ()) -> Document:
    return Document(key=key, title=title, tags=tags, body=body)


def keys(hits: list[Hit]) -> list[str]:
    return [h.key for h in hits]


@pytest.fixture
def helpdesk_index() -> SearchIndex:
    """A small mixed-language KB plus unrelated articles that must not match."""
    return SearchIndex(
        [
            doc("ru-printer", "Очередь печати", "Принтеры не печатают после обновления."),
            doc("uk-printer", "Черга друку", "Принтер не друкує після оновлення."),
            doc("en-printing", "Queue", "Printed pages come out blank; check the printers."),
            doc("invoice", "Billing", "How to send an invoice to a customer."),
            doc("yo", "Баланс", "Счёт ещё не оплачен."),
            doc("ye", "Оплата", "Оплатите счета еще раз."),
            doc("mail", "Mail", "The mail server rejects messages."),
            doc("vpn", "VPN", "Подключение к VPN обрывается каждые десять минут."),
        ]
    )


# --- analysis ---------------------------------------------------------------------


def test_analyze_casefolds_drops_stop_words_and_stems() -> None:
    assert analyze("Принтеры НЕ печатают") == ["принтер", "печата"]
    assert analyze("The printers are printing") == ["printer", "print"]


def test_analyze_keeps_apostrophe_words_whole_whatever_the_apostrophe() -> None:
    forms = ["п'ять", "п’ять", "пʼять"]
    assert len({tuple(analyze(f)) for f in forms}) == 1
    assert len(analyze("п’ять")) == 1


def test_analyze_folds_yo_and_composes_decomposed_letters() -> None:
    assert analyze("ЁЛКА") == analyze("елка")
    assert analyze("Всё") == []  # a stop word however it is spelt
    # "й" typed as и + combining breve must stay one word.
    assert analyze("вои\u0306ти") == analyze("войти") == ["войт"]


def test_analyze_of_stop_words_and_punctuation_is_empty() -> None:
    assert analyze("и не на в the of a ... !!!") == []


def test_stemmers_are_created_once() -> None:
    assert _get_stemmer("russian") is _get_stemmer("russian")


# --- matching ---------------------------------------------------------------------


def test_russian_singular_finds_plural(helpdesk_index: SearchIndex) -> None:
    # The Ukrainian article says "принтер" too.
    for query in ["принтер", "принтеров", "Принтера"]:
        assert set(keys(helpdesk_index.search(query))) == {"ru-printer", "uk-printer"}


def test_russian_verb_forms_match(helpdesk_index: SearchIndex) -> None:
    assert keys(helpdesk_index.search("печатает")) == ["ru-printer"]


@pytest.mark.parametrize(
    ("query", "expected"), [("printing", "en-printing"), ("printer", "en-printing")]
)
def test_english_stemming(helpdesk_index: SearchIndex, query: str, expected: str) -> None:
    # "printing" ~ "printed", "printer" ~ "printers".
    assert keys(helpdesk_index.search(query)) == [expected]


@pytest.mark.parametrize("query", ["друкує", "Принтер друкує", "принтері"])
def test_ukrainian(helpdesk_index: SearchIndex, query: str) -> None:
    assert "uk-printer" in keys(helpdesk_index.search(query))


@pytest.mark.skipif(_has_ukrainian(), reason="only the Russian-stemmer fallback folds і/є")
def test_ukrainian_endings_are_recognised_by_the_fallback() -> None:
    index = SearchIndex([doc("uk", "", "Нові налаштування принтера."), doc("x", "", "Інше.")])
    assert keys(index.search("новий")) == ["uk"]


def test_ukrainian_verb_does_not_match_russian_text(helpdesk_index: SearchIndex) -> None:
    assert keys(helpdesk_index.search("друкує")) == ["uk-printer"]


@pytest.mark.parametrize("query", ["ещё", "еще", "ЕЩЁ", "счёт", "счет"])
def test_yo_and_ye_are_the_same_letter(helpdesk_index: SearchIndex, query: str) -> None:
    assert set(keys(helpdesk_index.search(query))) == {"yo", "ye"}


@pytest.mark.parametrize("query", ["VPN", "vpn", "Vpn", "ПОДКЛЮЧЕНИЕ", "подключение"])
def test_case_insensitive(helpdesk_index: SearchIndex, query: str) -> None:
    assert keys(helpdesk_index.search(query)) == ["vpn"]


def test_words_are_alternatives_and_more_matches_rank_higher(helpdesk_index: SearchIndex) -> None:
    hits = helpdesk_index.search("принтер обновления")
    assert keys(hits)[0] == "ru-printer"
    assert hits[0].matched_terms == ("принтер", "обновления")
    assert "uk-printer" in keys(hits)


def test_title_match_outranks_body_only_match() -> None:
    index = SearchIndex(
        [
            doc("body", "Общие вопросы", "Иногда картридж нужно заменить раньше срока."),
            doc("title", "Замена картриджа", "Откройте крышку и достаньте старый блок."),
        ]
    )
    assert keys(index.search("картридж")) == ["title", "body"]


def test_tag_match_outranks_body_only_match() -> None:
    index = SearchIndex(
        [
            doc("a-body", "Общие вопросы", "Если сканер не видит документ, протрите стекло."),
            doc("b-tag", "Стекло и крышка", "Протрите стекло мягкой тканью.", ("сканер",)),
        ]
    )
    assert keys(index.search("сканер")) == ["b-tag", "a-body"]


def test_tag_match_outranks_body_only_match_when_few_articles_have_tags() -> None:
    # the average tag count is tiny here; length-normalising tags would sink the tag match
    filler = [doc(f"f{i}", f"Тема {i}", f"Про другое, раздел {i}.") for i in range(8)]
    index = SearchIndex(
        [
            *filler,
            doc("title", "Шлюз не отвечает", "Перезапустите службу."),
            doc("body", "Ночные ошибки", "По ночам шлюз сбрасывает соединения."),
            doc("tag", "Другие ошибки", "Смотрите журнал.", ("шлюз", "сеть")),
        ]
    )
    assert keys(index.search("шлюз")) == ["title", "tag", "body"]


def test_rare_word_weighs_more_than_common_word() -> None:
    common = [doc(f"c{i}", "", f"Принтер номер {i}.") for i in range(5)]
    index = SearchIndex([*common, doc("rare", "", "Тонер номер 9.")])
    hits = index.search("принтер тонер")
    assert hits[0].key == "rare"


# --- typo tolerance ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "принтр",  # deletion
        "пирнтер",  # transposition
        "принтерр",  # insertion
        "прынтер",  # substitution
        "пирнтеры",  # transposition in an inflected form missing from the text
        "пирнтерами",  # only the stems are one edit apart
    ],
)
def test_one_typo_in_a_long_russian_word_still_finds(query: str) -> None:
    index = SearchIndex([doc("p", "", "Принтеры не печатают."), doc("x", "", "Сканер сломался.")])
    hits = index.search(query)
    assert keys(hits) == ["p"]
    assert hits[0].matched_terms == (query,)
    assert "«Принтеры»" in hits[0].snippet


def test_one_typo_in_an_english_word_still_finds(helpdesk_index: SearchIndex) -> None:
    assert keys(helpdesk_index.search("invoise")) == ["invoice"]


def test_typo_match_scores_below_exact_match(helpdesk_index: SearchIndex) -> None:
    (exact,) = helpdesk_index.search("invoice")
    (typo,) = helpdesk_index.search("invoise")
    assert typo.score < exact.score
    assert typo.score == pytest.approx(exact.score * FUZZY_PENALTY)


@pytest.mark.parametrize("query", ["maul", "mial", "vnp"])
def test_typo_in_a_short_word_does_not_match(helpdesk_index: SearchIndex, query: str) -> None:
    assert keys(helpdesk_index.search("mail")) == ["mail"]  # the word itself does
    assert helpdesk_index.search(query) == []


def test_two_typos_do_not_match(helpdesk_index: SearchIndex) -> None:
    assert helpdesk_index.search("invoyse") == []


def test_a_known_word_is_not_expanded_to_its_neighbours() -> None:
    index = SearchIndex([doc("cable", "", "Check the cable."), doc("table", "", "See the table.")])
    assert keys(index.search("cable")) == ["cable"]


def test_typos_in_error_codes_do_not_match() -> None:
    index = SearchIndex([doc("e", "", "Ошибка 0x80070005 при установке.")])
    assert keys(index.search("0x80070005")) == ["e"]
    assert index.search("0x80070006") == []


# --- empty and degenerate queries -------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "и не на", "the of and", "!!! ?", "—"])
def test_empty_or_stop_word_query_returns_nothing(helpdesk_index: SearchIndex, query: str) -> None:
    assert helpdesk_index.search(query) == []


def test_empty_index_returns_nothing() -> None:
    assert SearchIndex([]).search("принтер") == []


# --- snippets ---------------------------------------------------------------------


def test_snippet_highlights_inflected_forms_case_insensitively() -> None:
    index = SearchIndex([doc("p", "", "ПРИНТЕРЫ не печатают, а принтер в коридоре печатает.")])
    (hit,) = index.search("принтер печатают")
    assert hit.snippet == "«ПРИНТЕРЫ» не «печатают», а «принтер» в коридоре «печатает»."


def test_snippet_highlights_yo_spelling() -> None:
    index = SearchIndex([doc("p", "", "Счёт ещё не оплачен.")])
    assert index.search("еще")[0].snippet == "Счёт «ещё» не оплачен."


def test_snippet_uses_custom_markers() -> None:
    index = SearchIndex([doc("p", "", "Printers are offline.")])
    (hit,) = index.search("printer", highlight=("<mark>", "</mark>"))
    assert hit.snippet == "<mark>Printers</mark> are offline."


def test_snippet_strips_markdown() -> None:
    body = (
        "# Если принтер не печатает\n\n"
        "* Откройте **Панель управления** и `services.msc`.\n"
        '> Перезапустите [службу печати](https://kb.example/spooler "spooler").\n'
        "```\nnet stop spooler\n```\n"
    )
    (hit,) = SearchIndex([doc("p", "", body)]).search("принтер")
    assert hit.snippet == (
        "Если «принтер» не печатает Откройте Панель управления и services.msc. "
        "Перезапустите службу печати. net stop spooler"
    )


def test_snippet_is_a_window_around_the_densest_matches() -> None:
    rng = random.Random(7)
    filler = ["вступление", "оглавление", "справка", "раздел", "подробности", "примечание"]
    before = " ".join(rng.choice(filler) for _ in range(80))
    after = " ".join(rng.choice(filler) for _ in range(80))
    body = f"{before} Принтер упомянут. {before} Принтеры не печатают, замените картридж принтера. {after}"
    (hit,) = SearchIndex([doc("p", "", body)]).search("принтер картридж")
    snippet = hit.snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "«Принтеры» не печатают, замените «картридж» «принтера»." in snippet
    text = snippet.strip("…").replace("«", "").replace("»", "")
    assert len(text) <= SNIPPET_WIDTH + 20
    # Cut on word boundaries: every word of the snippet is a whole word of the body.
    body_words = set(re.findall(r"\w+", body))
    assert set(re.findall(r"\w+", text)) <= body_words
    assert text.split()[0] in filler
    assert text.split()[-1] in filler


def test_snippet_for_title_only_match_is_the_start_of_the_body() -> None:
    body = "Откройте настройки. " * 20
    (hit,) = SearchIndex([doc("p", "Принтер", body)]).search("принтер")
    assert hit.snippet.startswith("Откройте настройки. Откройте")
    assert hit.snippet.endswith("…")
    assert "«" not in hit.snippet


def test_snippet_falls_back_to_title_when_there_is_no_body() -> None:
    (hit,) = SearchIndex([doc("p", "Замена картриджа", "")]).search("картридж")
    assert hit.snippet == "Замена «картриджа»"


# --- ordering and limits ----------------------------------------------------------


def test_ties_are_broken_by_key_whatever_the_input_order() -> None:
    docs = [doc(k, "", "Принтер не печатает.") for k in ["k3", "k1", "k2", "a9"]]
    for order in (docs, list(reversed(docs)), docs[2:] + docs[:2]):
        hits = SearchIndex(order).search("принтер")
        assert keys(hits) == ["a9", "k1", "k2", "k3"]
        assert len({h.score for h in hits}) == 1


def test_more_occurrences_rank_higher_and_results_are_sorted_by_score() -> None:
    index = SearchIndex(
        [
            doc("one", "Сеть", "Роутер. " + "Прочее. " * 10),
            doc("three", "Сеть", "Роутер роутер роутер. " + "Прочее. " * 8),
            doc("zero", "Сеть", "Прочее. " * 11),
        ]
    )
    hits = index.search("роутер")
    assert keys(hits) == ["three", "one"]
    assert hits[0].score > hits[1].score > 0


def test_limit() -> None:
    index = SearchIndex([doc(f"d{i:02}", "", "Принтер " * (i + 1)) for i in range(20)])
    assert len(index.search("принтер")) == 10
    top3 = index.search("принтер", limit=3)
    assert top3 == index.search("принтер", limit=20)[:3]
    assert index.search("принтер", limit=0) == []
    with pytest.raises(ValueError, match="limit must not be negative"):
        index.search("принтер", limit=-1)


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="dup"):
        SearchIndex([doc("dup", "", "a"), doc("dup", "", "b")])


# --- caching ----------------------------------------------------------------------


def test_analysis_and_state_survive_json(helpdesk_index: SearchIndex) -> None:
    state = json.loads(json.dumps(helpdesk_index.to_state(), ensure_ascii=False))
    restored = SearchIndex.from_state(state)
    for query in ["принтер", "invoise", "ещё", "друкує printers"]:
        assert restored.search(query) == helpdesk_index.search(query)


def test_from_analyzed_matches_a_fresh_build(helpdesk_index: SearchIndex) -> None:
    docs = [
        Document(d["key"], d["title"], tuple(d["tags"]), d["body"])
        for d in helpdesk_index.to_state()["documents"]
    ]
    cached = [(d, json.loads(json.dumps(analyze_document(d)))) for d in docs]
    assert SearchIndex.from_analyzed(cached).search("принтер") == helpdesk_index.search("принтер")


@pytest.mark.parametrize(
    "stale",
    [{}, {"analyzer": "supportctl.kb/0"}, {"analyzer": None, "fields": "x"}],
)
def test_stale_or_damaged_cached_analysis_is_recomputed(stale: dict[str, object]) -> None:
    d = doc("p", "", "Принтеры не печатают.")
    good = analyze_document(d)
    damaged = dict(good, fields={"body": {"length": -1, "terms": {"x": "y"}}})
    for analysis in (stale, damaged):
        assert keys(SearchIndex.from_analyzed([(d, analysis)]).search("принтер")) == ["p"]


def test_from_analyzed_does_not_alias_the_callers_data() -> None:
    d = doc("p", "", "Принтеры не печатают.")
    analysis = analyze_document(d)
    index = SearchIndex.from_analyzed([(d, analysis)])
    analysis["fields"]["body"]["terms"].clear()
    assert index.to_state()["documents"][0]["analysis"]["fields"]["body"]["terms"]


def test_from_state_rejects_foreign_data() -> None:
    with pytest.raises(ValueError, match="not a search index state"):
        SearchIndex.from_state({"format": 999, "documents": []})
    with pytest.raises(ValueError, match="malformed document"):
        SearchIndex.from_state({"format": 1, "documents": [{"key": "x", "tags": "ab"}]})


# --- snapshots --------------------------------------------------------------------

SNAPSHOT_QUERIES = [
    "принтер",
    "принтеры не печатают",
    "друкує printers",
    "invoise",  # a typo: typo tolerance works from the restored vocabulary
    "пинтеры",
    "ещё счёт",
    "mail vpn",
    "nothing-matches-this",
]


def marshalled(data: dict[str, Any]) -> Any:
    return marshal.loads(marshal.dumps(data))


def test_snapshot_restores_an_index_with_identical_results(helpdesk_index: SearchIndex) -> None:
    restored = SearchIndex.from_snapshot(marshalled(helpdesk_index.snapshot()))
    assert len(restored) == len(helpdesk_index)
    for query in SNAPSHOT_QUERIES:
        for limit in (1, 3, 10):
            assert restored.search(query, limit) == helpdesk_index.search(query, limit)
    assert restored.search("принтер", highlight=("<", ">")) == helpdesk_index.search(
        "принтер", highlight=("<", ">")
    )
    assert restored.document("yo") == helpdesk_index.document("yo")
    # Analyses are not stored; `to_state` makes them again, equal to the originals.
    assert restored.to_state() == helpdesk_index.to_state()
    # A restored index snapshots to the same data.
    assert marshalled(restored.snapshot()) == marshalled(helpdesk_index.snapshot())


def test_snapshot_bytes_may_come_back_as_memoryviews(helpdesk_index: SearchIndex) -> None:
    data = {
        k: memoryview(v) if isinstance(v, bytes) else v
        for k, v in marshalled(helpdesk_index.snapshot()).items()
    }
    restored = SearchIndex.from_snapshot(data)
    for query in SNAPSHOT_QUERIES:
        assert restored.search(query) == helpdesk_index.search(query)


def test_snapshot_of_an_empty_index() -> None:
    restored = SearchIndex.from_snapshot(marshalled(SearchIndex([]).snapshot()))
    assert len(restored) == 0
    assert restored.search("принтер") == []


def test_snapshot_keeps_text_that_utf8_cannot_encode() -> None:
    index = SearchIndex([doc("odd", "Принтер \ud800", "Принтер \udfff печатает")])
    restored = SearchIndex.from_snapshot(marshalled(index.snapshot()))
    assert restored.document("odd") == index.document("odd")
    assert restored.search("принтер") == index.search("принтер")


def test_document_by_key(helpdesk_index: SearchIndex) -> None:
    assert helpdesk_index.document("vpn").title == "VPN"
    with pytest.raises(KeyError):
        helpdesk_index.document("nope")


@pytest.mark.parametrize(
    "change",
    [
        {"format": 999},
        {"analyzer": "supportctl.kb/0"},
        {"layout": ("middle", 3, 7, 9)},
        {"keys": ["only-one"]},
        {"ids": b"\x00\x00\x00"},  # not whole items
        {"bodies": b""},
        {"vocabulary_words": []},
        {"weights": "not bytes"},
    ],
)
def test_from_snapshot_rejects_other_versions_and_inconsistent_data(
    helpdesk_index: SearchIndex, change: dict[str, object]
) -> None:
    data = {**helpdesk_index.snapshot(), **change}
    with pytest.raises((ValueError, TypeError)):
        SearchIndex.from_snapshot(data)


def test_from_snapshot_rejects_foreign_data(helpdesk_index: SearchIndex) -> None:
    with pytest.raises(TypeError):
        SearchIndex.from_snapshot([])  # type: ignore[arg-type]
    data = helpdesk_index.snapshot()
    del data["stems"]
    with pytest.raises(ValueError, match="search index snapshot without"):
        SearchIndex.from_snapshot(data)


def _reference_snippet(document: Document, stems: set[str]) -> str:
    """Snippets as first written: every token of the text stemmed again."""
    body = _plain_text(document.body)
    text = body or _SPACES.sub(" ", _prepare(document.title)).strip()
    return _window(text, [t for t in _tokens(text) if t.stem in stems], ("«", "»"))


def _words(text: str) -> list[str]:
    return text.split()


snippet_words = st.sampled_from(
    _words(
        """Принтер принтеры принтера печатает печатают печать Чек чеки чеков ещё всё счёт
        счета printer printers printing print Printed mail mailbox не и the п'ять п’ять
        друкує друкують `код` **жирный** [ссылка](http://x) #"""
    )
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(snippet_words, max_size=4), st.lists(snippet_words, max_size=80)),
        min_size=1,
        max_size=6,
    ),
    st.lists(snippet_words, min_size=1, max_size=4),
)
def test_snippets_and_snapshots_agree_with_the_reference(
    texts: list[tuple[list[str], list[str]]], query_words: list[str]
) -> None:
    index = SearchIndex(
        [doc(f"d{i}", " ".join(title), " ".join(body)) for i, (title, body) in enumerate(texts)]
    )
    query = " ".join(query_words)
    hits = index.search(query)
    # The marked stems: each query word's own, or those of the words one typo away.
    stems: set[str] = set()
    for token in _tokens(_prepare(query)):
        if token.stem in index._postings:
            stems.add(token.stem)
        else:
            stems.update(index._near_stems(_QueryTerm(token.surface, token.stem)))
    for hit in hits:
        assert hit.snippet == _reference_snippet(index.document(hit.key), stems)
    restored = SearchIndex.from_snapshot(marshalled(index.snapshot()))
    assert restored.search(query) == hits


# --- properties -------------------------------------------------------------------


def _osa_distance(a: str, b: str) -> int:
    """Textbook optimal-string-alignment distance, as the reference."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


small_words = st.text(alphabet="абвг", min_size=0, max_size=7)


@settings(deadline=None)
@given(small_words, small_words)
def test_within_one_edit_agrees_with_reference(a: str, b: str) -> None:
    assert _within_one_edit(a, b) == (_osa_distance(a, b) <= 1)


@settings(max_examples=200, deadline=None)
@given(st.sets(small_words, max_size=60), small_words)
def test_fuzzy_vocabulary_finds_exactly_the_words_one_edit_away(
    vocabulary: set[str], query: str
) -> None:
    expected = {
        w
        for w in vocabulary
        if len(w) >= _FuzzyVocabulary.MIN_LENGTH and w != query and _osa_distance(w, query) <= 1
    }
    assert _FuzzyVocabulary(vocabulary).near(query) == expected


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40), st.integers(min_value=0, max_value=5))
def test_search_never_fails_and_respects_limit(query: str, limit: int) -> None:
    index = SearchIndex(
        [doc("a", "Принтер", "Принтеры не печатают."), doc("b", "Mail", "Mail is down.")]
    )
    hits = index.search(query, limit=limit)
    assert len(hits) <= limit
    assert hits == sorted(hits, key=lambda h: (-h.score, h.key))


# -- search(within=...) ---------------------------------------------------------------------
WITHIN_DOCS = [
    doc("a1", "Printer offline", "The printer in room 4 is offline since the update."),
    doc("a2", "Printer paper jam", "Paper jams in tray 2."),
    doc("a3", "Scanner slow", "Scanning takes minutes."),
    doc("b1", "Hyperion printer", "Project Hyperion printer prints blank pages."),
    doc("b2", "Hyperion access", "Grant access to the Hyperion share."),
]
A_KEYS = ["a1", "a2", "a3"]


def test_within_keeps_only_the_given_documents() -> None:
    index = SearchIndex(WITHIN_DOCS)
    assert set(keys(index.search("printer"))) == {"a1", "a2", "b1"}
    assert keys(index.search("printer", within=A_KEYS)) == ["a1", "a2"]
    assert keys(index.search("printer", within=["b2", "zz"])) == []
    assert index.search("printer", within=[]) == []


def test_within_a_word_outside_is_neither_found_nor_a_typo_target() -> None:
    index = SearchIndex(WITHIN_DOCS)
    assert set(keys(index.search("hyperion"))) == {"b1", "b2"}
    assert index.search("hyperion", within=A_KEYS) == []
    assert index.search("hyperiom", within=A_KEYS) == []  # one typo away from b's word
    # a query word present outside only counts as missing inside: the typo fallback then
    # looks among the kept documents' words
    more = SearchIndex([*WITHIN_DOCS, doc("a4", "Hyperiom console")])
    assert keys(more.search("hyperion", within=[*A_KEYS, "a4"])) == ["a4"]
    assert set(keys(more.search("hyperion"))) == {"b1", "b2"}


def test_within_word_statistics_come_from_the_kept_documents() -> None:
    # two corpora that differ only outside `within`, with the same field lengths there
    common = [doc("a1", "printer jam", "paper tray"), doc("a2", "scanner jam", "glass dust")]
    one = SearchIndex([*common, doc("b1", "printer printer", "printer printer")])
    other = SearchIndex([*common, doc("b1", "modem reboot", "router cable")])
    first = one.search("printer jam", within=["a1", "a2"])
    second = other.search("printer jam", within=["a1", "a2"])
    assert [(h.key, h.score, h.snippet, h.matched_terms) for h in first] == [
        (h.key, h.score, h.snippet, h.matched_terms) for h in second
    ]
    assert keys(first) == ["a1", "a2"]


def test_within_everything_ranks_as_without() -> None:
    index = SearchIndex(WITHIN_DOCS)
    everything = [d.key for d in WITHIN_DOCS]
    for query in ("printer", "hyperion printer", "paper jams", "scannin"):
        kept = index.search(query, within=everything)
        plain = index.search(query)
        assert keys(kept) == keys(plain)
        assert [h.score for h in kept] == pytest.approx([h.score for h in plain])
        assert [h.snippet for h in kept] == [h.snippet for h in plain]
