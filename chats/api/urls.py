from django.urls import path

from chats.api import views

conv = "conversations/<uuid:conversation_id>"
msg = f"{conv}/messages/<uuid:message_id>"
thread = f"{conv}/threads/<uuid:root_id>"

urlpatterns = [
    path("conversations", views.ConversationsView.as_view()),
    path("conversations/direct", views.DirectView.as_view()),
    path("channels", views.PublicChannelsView.as_view()),
    path(conv, views.ConversationView.as_view()),
    path(f"{conv}/archive", views.ArchiveView.as_view()),
    path(f"{conv}/join", views.JoinView.as_view()),
    path(f"{conv}/leave", views.LeaveView.as_view()),
    path(f"{conv}/members", views.MembersView.as_view()),
    path(f"{conv}/members/<id:user_id>", views.MemberView.as_view()),
    path(f"{conv}/messages", views.MessagesView.as_view()),
    path(f"{conv}/events", views.EventsView.as_view()),
    path(f"{conv}/held", views.HeldView.as_view()),
    path(f"{conv}/pins", views.PinsView.as_view()),
    path(f"{conv}/read", views.ReadView.as_view()),
    path(msg, views.MessageView.as_view()),
    path(f"{msg}/history", views.HistoryView.as_view()),
    path(f"{msg}/pin", views.PinView.as_view()),
    path(f"{msg}/previews", views.PreviewsView.as_view()),
    path(f"{msg}/reactions/<str:emoji>", views.ReactionView.as_view()),
    path(thread, views.ThreadView.as_view()),
    path(f"{thread}/follow", views.ThreadFollowView.as_view()),
    path(f"{thread}/read", views.ThreadReadView.as_view()),
    path("threads", views.FollowedThreadsView.as_view()),
    path("search", views.SearchView.as_view()),
]
