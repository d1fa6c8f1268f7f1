"""The default rules for forum post furniture ("forum-post-meta", "forum-signature",
"forum-user-info"), bare machine timestamps ("machine-timestamp") and uncertain blocks under
comment markup ("uncertain-comment"): what they drop, what they leave, and a forum thread end
to end."""

from __future__ import annotations

import pytest

import unboil


@pytest.mark.parametrize(("line", "rule"), [
    ("Well-known member", "forum-post-meta"),
    ("Senior Member", "forum-post-meta"),
    ("7+ Year Member", "forum-post-meta"),
    ("Member", "forum-post-meta"),
    ("Click to expand...", "forum-post-meta"),
    ("Click to shrink...", "forum-post-meta"),
    ("Thread Starter", "forum-post-meta"),
    ("Original poster", "forum-post-meta"),
    ("Quote", "forum-post-meta"),
    ("Report Reply", "forum-post-meta"),
    ("Code: Select all", "forum-post-meta"),
    ("Last edited: Sep 6, 2022", "forum-post-meta"),
    ("Last edited by Trilby (2024-08-04 16:47:41)", "forum-post-meta"),
    ("Joined: Sun Dec 28, 2014 3:02 pm", "forum-post-meta"),
    ("Registered: 2024-01-27", "forum-post-meta"),
    ("1,9922 gold badges14 silver badges18 bronze badges", "forum-post-meta"),
    ("47.8k113 gold badges470 silver badges821 bronze badges", "forum-post-meta"),
    ("(95.79 KiB) Downloaded 478 times", "forum-post-meta"),
    ("Asked 1 year, 7 months ago", "forum-post-meta"),
    ("Viewed 12k times", "forum-post-meta"),
    ("You may not post attachments", "forum-post-meta"),
    ("This discussion is now closed.", "forum-post-meta"),
    ("View attachment 2029141 View attachment 2029140", "forum-post-meta"),
    ("2023-02-05T19:24:52.617Z+00:00", "machine-timestamp"),
    ("2019-03-26 16:40:42 +00:00", "machine-timestamp"),
])
def test_forum_and_ad_furniture_goes_with_its_rule(line, rule):
    result = unboil.clean(f"A thread about something\n{line}\nThe first post of the thread, in full sentences.")
    assert result.decisions[1].dropped and result.decisions[1].rule == rule


@pytest.mark.parametrize("sentence", [
    "Members of the committee met on Tuesday to discuss the budget for next year.",
    "Quote the full error message when you report a bug, please.",
    "Reply to this email if you want to join the tour in June.",
    "Joined the company in 2014 and has led the design team since then.",
    "Last edited versions of the manuscript are kept in the archive.",
    "Click to expand the menu, then choose Settings and open the Privacy tab.",
    "Registered users can download the data set from the project page.",
    "Asked about the delay, the minister said the report would follow in May.",
    "You may post your comments here.",
    "Asked 3 years ago, he would have said no.",
    "This thread is now closed to new posts.",
    "She won 3 gold medals and 2 silver medals at the championships.",
    "The 2.4 GB installer was downloaded 3 million times in its first week.",
    "2019-03-26 16:40:42 was when the outage began, according to the logs.",
])
def test_sentences_that_look_like_forum_furniture_stay(sentence):
    result = unboil.clean(f"A thread about something\n{sentence}")
    assert not result.decisions[1].dropped


_POST = """
<article class="message message--post" id="post-{n}">
  <div class="message-inner">
    <div class="message-cell message-cell--user">
      <h4 class="message-name"><a href="/members/{user}.{n}/" class="username">{user}</a></h4>
      <h5 class="userTitle message-userTitle">{rank}</h5>
      <dl class="pairs"><dt>Joined</dt><dd>Mar 3, 2019</dd></dl>
    </div>
    <div class="message-cell message-cell--main">
      <header class="message-attribution"><ul><li><time>Nov {n}, 2024</time></li></ul></header>
      <div class="message-content">
        <div class="bbWrapper">
          {quote}
          <p>{body}</p>
        </div>
        <div class="message-lastEdit">Last edited: Nov {n}, 2024</div>
      </div>
      {signature}
      <footer class="message-footer"><a class="actionBar-action">Report</a>
        <a class="actionBar-action">Quote</a><a class="actionBar-action">Reply</a></footer>
    </div>
  </div>
</article>
"""

_QUOTE = """<blockquote class="bbCodeBlock bbCodeBlock--quote"><div class="bbCodeBlock-content">
<div class="bbCodeBlock-expandContent">{text}</div><div class="bbCodeBlock-expandLink">Click to expand...</div>
</div></blockquote>"""

_SIGNATURE = """<aside class="message-signature"><div class="bbWrapper">Measure twice, cut once, and
never trust a tape measure you found in a drawer.</div></aside>"""

_BODIES = [
    "My table saw started to trip the breaker every time I rip hard maple thicker than an inch. "
    "The blade is sharp, the fence is square and the motor does not smell hot, so I wonder whether "
    "the circuit in the garage is simply too weak for the saw under load.",
    "Check the wire gauge first: a long run of thin cable drops the voltage when the motor pulls "
    "hard, and the breaker sees the current climb. A dedicated twenty amp circuit fixed exactly "
    "this problem in my own shop, and the saw has not tripped once since then.",
    "Also look at the riving knife and the feed rate. Pushing dense hardwood too quickly binds the "
    "blade, and a bound blade draws far more current than a free one does, whatever the circuit.",
    "Thanks to both of you. The garage run turned out to be fourteen gauge over forty feet, so an "
    "electrician is coming next week to pull a new circuit, and I will slow down my feed as well.",
]


def _thread_html() -> str:
    users = ["sawdust_sam", "oldtimer", "maple_mike", "sawdust_sam"]
    ranks = ["New member", "Senior Member", "Well-known member", "Titan"]
    posts = []
    for n, (user, rank, body) in enumerate(zip(users, ranks, _BODIES), start=1):
        quote = _QUOTE.format(text=_BODIES[0][:90]) if n == 2 else ""
        signature = _SIGNATURE if n == 2 else ""
        posts.append(_POST.format(n=n, user=user, rank=rank, body=body, quote=quote, signature=signature))
    return f"""<!DOCTYPE html><html lang="en"><head><title>Table saw trips the breaker | Woodworking Forum</title></head>
<body>
<header class="p-header"><div class="p-header-logo">Woodworking Forum</div>
<nav class="p-nav"><ul><li><a href="/">Forums</a></li><li><a href="/whats-new/">What's new</a></li>
<li><a href="/members/">Members</a></li><li><a href="/login/">Log in</a></li></ul></nav></header>
<div class="p-body"><div class="p-body-main">
<div class="p-title"><h1 class="p-title-value">Table saw trips the breaker</h1></div>
<div class="block-body js-replyNewMessageContainer">{''.join(posts)}</div>
</div>
<aside class="p-body-sidebar"><h3>Similar threads</h3><ul>
<li><a href="/t/1">Dust collector on a fifteen amp circuit</a></li>
<li><a href="/t/2">Best blade for ripping hardwood</a></li></ul></aside></div>
<footer class="p-footer"><p>Community platform by XenForo. Terms and rules. Privacy policy.</p></footer>
</body></html>"""


def test_forum_thread_keeps_posts_and_drops_post_furniture():
    result = unboil.clean_html(_thread_html(), "https://forum.example.org/threads/table-saw-trips-the-breaker.123/")
    text = result.text
    for body in _BODIES:
        assert body in text
    by_text = {result.blocks[d.index].text: d for d in result.decisions}
    for furniture, rule in [("Senior Member", "forum-post-meta"), ("Well-known member", "forum-post-meta"),
                            ("Click to expand...", "forum-post-meta"),
                            ("Last edited: Nov 2, 2024", "forum-post-meta")]:
        decision = by_text[furniture]
        assert decision.dropped and decision.rule == rule, (furniture, decision)
    assert "Similar threads" not in text and "XenForo" not in text
    # a custom title no pattern knows goes with the poster's panel markup
    assert by_text["Titan"].dropped and by_text["Titan"].rule == "forum-user-info"
    signature = next(d for t, d in by_text.items() if t.startswith("Measure twice"))
    assert signature.dropped and signature.rule == "forum-signature"


def _decide_one(signals: dict) -> tuple[bool, str | None]:
    from unboil.document import Block, Document
    from unboil.rules import RuleSet

    text = "A reply in the thread that says something about the question, in a full sentence."
    doc = Document(blocks=[Block(index=0, text=text, signals=dict(signals))], url="https://forum.example.org/t/1")
    decision = RuleSet.default().decide(doc)[0]
    return decision.dropped, decision.rule


@pytest.mark.parametrize(("signals", "dropped"), [
    ({"markup": ("article", "comments"), "in_main": True, "content_score": 0.45}, True),
    ({"markup": ("comments",), "in_main": True, "content_score": 0.49}, True),
    ({"markup": ("article", "comments"), "in_main": True, "content_score": 0.5}, True),
    ({"markup": ("article", "comments"), "in_main": True, "content_score": 0.5001}, False),
    ({"markup": ("article", "comments"), "in_main": True, "content_score": 0.81}, False),
    ({"markup": ("article", "content"), "in_main": True, "content_score": 0.45}, False),
    ({}, False),  # text input: no markup, no content score
])
def test_uncertain_comment_needs_better_than_even_odds_under_comment_markup(signals, dropped):
    got, rule = _decide_one(signals)
    assert got is dropped
    if dropped:
        assert rule == "uncertain-comment"
