"""The per-conversation delivery rules: in seq order, exactly once, gaps filled from the store."""

from gateway.socket import feed as ws_feed
from gateway.socket.feed import Feed


def frame(seq):
    return {"seq": seq}


def seqs(frames):
    return [f["seq"] for f in frames]


def test_live_frames_in_order_go_straight_through():
    feed = Feed()
    assert seqs(feed.live(frame(5))[0]) == [5]  # the first one sets the start
    assert seqs(feed.live(frame(6))[0]) == [6]
    assert feed.last == 6


def test_a_repeated_or_older_frame_is_dropped():
    feed = Feed(last=6)
    assert feed.live(frame(6)) == ([], False)
    assert feed.live(frame(3)) == ([], False)


def test_a_gap_holds_later_frames_until_the_store_fills_it():
    feed = Feed(last=6)
    assert feed.live(frame(8)) == ([], True)  # 7 was lost: read the store
    assert feed.live(frame(9)) == ([], False)  # already filling
    assert seqs(feed.from_store([frame(7), frame(8)])) == [7, 8]
    frames, again = feed.caught_up()
    assert seqs(frames) == [9] and again is False
    assert feed.last == 9 and not feed.filling


def test_frames_pushed_after_the_read_began_make_it_read_again():
    feed = Feed(last=6)
    feed.live(frame(8))
    assert seqs(feed.from_store([frame(7)])) == [7]  # the read saw only 7 ...
    feed.live(frame(10))  # ... and 9's push is late
    frames, again = feed.caught_up()
    assert seqs(frames) == [8] and again is True
    assert seqs(feed.from_store([frame(9), frame(10)])) == [9, 10]
    assert feed.caught_up() == ([], False)


def test_a_held_feed_waits_then_resumes_from_the_clients_seq():
    feed = Feed(held=True)
    feed.live(frame(20))
    feed.live(frame(21))
    assert feed.release(resume_after=17) == ([], True)
    assert seqs(feed.from_store([frame(18), frame(19), frame(20), frame(21)])) == [18, 19, 20, 21]
    assert feed.caught_up() == ([], False)  # 20 and 21 were not sent twice


def test_a_held_feed_released_without_resume_goes_live_from_what_it_kept():
    feed = Feed(held=True)
    feed.live(frame(21))
    feed.live(frame(20))
    frames, fill = feed.release()
    assert seqs(frames) == [20, 21] and fill is False


def test_the_store_may_skip_seqs_and_delivery_follows_it():
    feed = Feed(last=1)
    feed.live(frame(4))
    assert seqs(feed.from_store([frame(3), frame(4)])) == [3, 4]  # seq 2 never existed
    assert feed.caught_up() == ([], False)


def test_a_resync_skips_what_cannot_be_replayed_but_keeps_what_came_after():
    feed = Feed(held=True)
    feed.live(frame(5000))
    feed.release(resume_after=10)
    feed.skip_to(4999)
    frames, again = feed.caught_up()
    assert seqs(frames) == [5000] and again is False


def test_too_many_waiting_frames_are_dropped_and_read_again(monkeypatch):
    monkeypatch.setattr(ws_feed, "PENDING_MAX", 3)
    feed = Feed(last=1)
    feed.live(frame(3))
    for seq in range(4, 10):
        feed.live(frame(seq))
    assert len(feed.pending) <= 3
    assert seqs(feed.from_store([frame(2), frame(3)])) == [2, 3]
    frames, again = feed.caught_up()
    assert frames == [] and again is True  # what was dropped is still in the store
    assert seqs(feed.from_store([frame(s) for s in range(4, 10)])) == [4, 5, 6, 7, 8, 9]
    assert feed.caught_up() == ([], False)


def test_a_held_feed_that_overflows_replays_from_its_first_kept_seq(monkeypatch):
    monkeypatch.setattr(ws_feed, "PENDING_MAX", 2)
    feed = Feed(held=True)
    for seq in (30, 31, 32, 33):
        feed.live(frame(seq))
    assert feed.release() == ([], True)
    assert feed.last == 29


def test_a_feed_resumed_at_the_end_of_the_log_goes_live_without_a_read():
    feed = Feed(held=True)
    assert feed.release_at_end(17) == ([], False)
    assert not feed.filling and feed.last == 17
    assert seqs(feed.live(frame(18))[0]) == [18]


def test_a_feed_resumed_at_the_end_sends_what_was_pushed_meanwhile_in_order():
    feed = Feed(held=True)
    feed.live(frame(19))  # committed after the end was read, pushed before the resume was answered
    feed.live(frame(18))
    frames, fill = feed.release_at_end(17)
    assert seqs(frames) == [18, 19] and fill is False


def test_a_feed_resumed_at_the_end_with_a_gap_after_it_reads_the_store():
    feed = Feed(held=True)
    feed.live(frame(19))  # 18's push was lost
    assert feed.release_at_end(17) == ([], True)
    assert seqs(feed.from_store([frame(18), frame(19)])) == [18, 19]
    assert feed.caught_up() == ([], False)


def test_a_feed_that_overflowed_while_held_reads_the_store_even_at_the_end(monkeypatch):
    monkeypatch.setattr(ws_feed, "PENDING_MAX", 2)
    feed = Feed(held=True)
    for seq in (18, 19, 20):
        feed.live(frame(seq))
    assert feed.release_at_end(17) == ([], True)
    assert feed.last == 17
    assert seqs(feed.from_store([frame(18), frame(19), frame(20)])) == [18, 19, 20]
