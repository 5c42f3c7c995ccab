"""What the batch job computes, per day (UTC). The names are the `metric` of DailyMetric rows and
the API's vocabulary; the definitions here are the reference.

- messages: message.created events; `dim` "" for all, or split by kind (direct, group, channel,
  unknown) in messages_by_kind, by client (web, api, unknown) in messages_by_client, by hour of
  the day (0-23) in messages_by_hour, and per channel (the conversation id) in channel_messages.
- dau, wau, actives_15, mau: distinct users who did anything (the actor of any event) on the day,
  in the 7, 15 and 30 days ending with it.
- new_users: user.registered events.
- reports_opened, reports_resolved: moderation.reported and moderation.resolved events.
- reads: conversation.read events, each a read marker that moved forward (someone caught up on a
  conversation; one read may cover many messages).
- held_messages: sends the moderation models held for review (moderation.held), split by the model
  (`dim` spam or abuse); held_approved, held_rejected: moderators' decisions on them.
- spam_rate: the share of the day's sends held by the spam model: spam holds / (messages + holds).
- notifications_delivered, notifications_failed: delivery attempts that reached the push service or
  mail server, and those that did not (retried, gone or refused), from notification.* events.
- first_reply_median_s, first_replies: for direct conversations whose first message (within the
  30-day look-back) was sent that day, the median number of seconds until the first message by
  someone else, and how many such replies there were (a reply counts within REPLY_WINDOW_DAYS).

Per minute, from the streaming job (analytics.stream, MinuteCount): messages, senders, and sockets
and socket_users (the highest presence.sampled of the minute: open sockets, users with one).

Weekly and cumulative series, the weekday x hour heatmap, top channels, retention cohorts and
"me versus everyone" are read from these rows (analytics.selectors), so they follow any rerun.
"""

MESSAGES = "messages"
MESSAGES_BY_KIND = "messages_by_kind"
MESSAGES_BY_CLIENT = "messages_by_client"
MESSAGES_BY_HOUR = "messages_by_hour"
CHANNEL_MESSAGES = "channel_messages"
DAU, WAU, ACTIVES_15, MAU = "dau", "wau", "actives_15", "mau"
NEW_USERS = "new_users"
REPORTS_OPENED, REPORTS_RESOLVED = "reports_opened", "reports_resolved"
FIRST_REPLY_MEDIAN = "first_reply_median_s"
FIRST_REPLIES = "first_replies"
READS = "reads"
HELD, HELD_APPROVED, HELD_REJECTED = "held_messages", "held_approved", "held_rejected"
SPAM_RATE = "spam_rate"
NOTIFICATIONS_DELIVERED, NOTIFICATIONS_FAILED = "notifications_delivered", "notifications_failed"

NAMES = (
    MESSAGES,
    MESSAGES_BY_KIND,
    MESSAGES_BY_CLIENT,
    MESSAGES_BY_HOUR,
    CHANNEL_MESSAGES,
    DAU,
    WAU,
    ACTIVES_15,
    MAU,
    NEW_USERS,
    REPORTS_OPENED,
    REPORTS_RESOLVED,
    FIRST_REPLY_MEDIAN,
    FIRST_REPLIES,
    READS,
    HELD,
    HELD_APPROVED,
    HELD_REJECTED,
    SPAM_RATE,
    NOTIFICATIONS_DELIVERED,
    NOTIFICATIONS_FAILED,
)

LOOKBACK_DAYS = 29  # the monthly window: the day itself and the 29 before it
REPLY_WINDOW_DAYS = 7
