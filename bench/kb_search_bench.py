"""Rough timing of supportctl.search.index on 5,000 synthetic KB articles.

Run from the repository root:  .venv/bin/python bench/kb_search_bench.py

Articles mix inflected Russian words, a few Ukrainian ones and English words from
a fixed vocabulary with a fixed seed, so figures are comparable between runs on
the same machine. Nothing is asserted: timings belong in a report, not in tests.
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import time
from pathlib import Path

# The script is run by path, so the package next to bench/ is not importable yet.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from supportctl.search.index import Document, SearchIndex, analyze_document


def _words(text: str) -> list[str]:
    return text.split()


SEED = 20240501
N_ARTICLES = 5_000
N_QUERIES = 200

RU_STEMS = _words(
    """принтер картридж сканер монитор ноутбук сервер роутер пароль аккаунт
почт клиент договор счет оплат доступ обновлен установк настройк ошибк подключен
сет драйвер очеред печат диск памят файл папк резервн копи лицензи пользовател
администратор заявк инцидент тикет звонок гарнитур микрофон камер экран клавиатур
мыш батаре зарядк кабел адаптер порт шлюз прокси сертификат подпис шифрован
календар встреч отчет таблиц документ шаблон бланк склад товар накладн возврат
доставк курьер заказ скидк тариф баланс платеж карт банк терминал касс чек"""
)
RU_ENDINGS = ["", "а", "у", "ом", "е", "ы", "ов", "ам", "ами", "ах", "и", "ей", "ой"]
RU_VERBS = _words(
    """печатает печатают работает работают зависает зависают перезагружается
подключается отключается отображается открывается сохраняется синхронизируется
запускается отвечает приходит уходит списывается блокируется"""
)
UK_WORDS = _words(
    """друкує друкують працює не_працює перевірте налаштування пароль
оновлення помилка підключення рахунок оплата доступ принтер мережа"""
)
EN_WORDS = _words(
    """printer printers printing print scanner invoice invoices billing payment
password reset account login error errors network router vpn proxy certificate
driver update install installation backup restore license user users admin
ticket email mailbox calendar meeting report spreadsheet template refund order
delivery discount balance card terminal receipt sync crash freeze timeout"""
)
FILLER = _words("""и в не на с что как для по это или при если то но уже""")


def ru_word(rng: random.Random) -> str:
    return rng.choice(RU_STEMS) + rng.choice(RU_ENDINGS)


def word(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return ru_word(rng)
    if roll < 0.60:
        return rng.choice(RU_VERBS)
    if roll < 0.67:
        return rng.choice(UK_WORDS).replace("_", " ")
    if roll < 0.85:
        return rng.choice(EN_WORDS)
    return rng.choice(FILLER)


def article(rng: random.Random, n: int) -> Document:
    title = " ".join(word(rng) for _ in range(rng.randint(3, 8))).capitalize()
    tags = tuple(sorted({rng.choice(EN_WORDS) for _ in range(rng.randint(0, 4))}))
    paragraphs = []
    for _ in range(rng.randint(2, 8)):
        sentence = " ".join(word(rng) for _ in range(rng.randint(20, 60)))
        paragraphs.append(sentence.capitalize() + ".")
    body = f"# {title}\n\n" + "\n\n".join(paragraphs)
    if rng.random() < 0.3:
        body += f"\n\nСм. [{rng.choice(EN_WORDS)}](https://kb.example/{n}) и `code`."
    return Document(key=f"kb-{n:05d}", title=title, tags=tags, body=body)


def typo(rng: random.Random, w: str) -> str:
    i = rng.randrange(len(w) - 1)
    kind = rng.choice(["swap", "drop", "double"])
    if kind == "swap":
        return w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    if kind == "drop":
        return w[:i] + w[i + 1 :]
    return w[:i] + w[i] + w[i:]


def queries(rng: random.Random) -> list[str]:
    out = []
    for _ in range(N_QUERIES):
        words = [word(rng) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.3:  # about a third of queries carry a typo
            j = rng.randrange(len(words))
            if len(words[j]) >= 5:
                words[j] = typo(rng, words[j])
        out.append(" ".join(words))
    return out


def main() -> None:
    rng = random.Random(SEED)
    docs = [article(rng, n) for n in range(N_ARTICLES)]
    qs = queries(rng)
    n_words = sum(len(d.body.split()) for d in docs)

    t0 = time.perf_counter()
    analyses = [(d, analyze_document(d)) for d in docs]
    t1 = time.perf_counter()
    index = SearchIndex.from_analyzed(analyses)
    t2 = time.perf_counter()
    cold = SearchIndex(docs)  # stems are cached by now, as in a long-lived process
    t3 = time.perf_counter()

    # The typo vocabulary is built on the first unknown query word.
    t4 = time.perf_counter()
    index.search("пирнтеры")
    t5 = time.perf_counter()

    times = []
    hits = 0
    for q in qs:
        start = time.perf_counter()
        hits += len(index.search(q, limit=10))
        times.append(time.perf_counter() - start)
    times_ms = sorted(t * 1000 for t in times)
    p95 = times_ms[int(0.95 * len(times_ms)) - 1]
    del cold

    print(f"articles: {N_ARTICLES}, body words: {n_words}")
    print(f"analyse all documents (cold stem cache): {t1 - t0:.2f} s")
    print(f"build index from cached analyses:        {t2 - t1:.2f} s")
    print(f"build index from documents (warm stems): {t3 - t2:.2f} s")
    print(f"first typo query (builds typo vocabulary): {(t5 - t4) * 1000:.0f} ms")
    print(
        f"{N_QUERIES} queries: mean {statistics.mean(times_ms):.2f} ms, "
        f"p95 {p95:.2f} ms, max {times_ms[-1]:.2f} ms, {hits} hits"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
