"""Request handling of the Instagram emulator: OAuth endpoints, Graph reads and the messages endpoint."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tests.emulators.instagram import (
    LONG_LIVED_SECONDS,
    PERMISSIONS,
    CommentItem,
    MediaItem,
    graph_error,
    ig_time,
)
from tests.emulators.server import Reply, Request

if TYPE_CHECKING:
    from tests.emulators.instagram import InstagramEmulator

PRIVATE_REPLY_WINDOW = timedelta(days=7)
MESSAGE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


def route(emu: InstagramEmulator, request: Request) -> Reply:
    parts = [p for p in request.path.split("/") if p]
    if request.path == "/oauth/authorize":
        return authorize(emu, request)
    if request.path == "/oauth/access_token" and request.method == "POST":
        return exchange_code(emu, request)
    if request.path == "/access_token":
        return exchange_long_lived(emu, request)
    if request.path == "/refresh_access_token":
        return refresh(emu, request)
    if not parts or not parts[0].startswith("v"):
        return graph_error("Unknown path components", 2500, status=400)
    with emu.lock:
        return graph(emu, request, parts[1:])


# ------------------------------------------------------------------ OAuth


def authorize(emu: InstagramEmulator, request: Request) -> Reply:
    if request.query.get("client_id") != emu.client_id:
        return Reply(400, "Invalid platform app")
    account = emu.consenting_account or next(iter(emu.accounts))
    code = emu.issue_code(account, request.query.get("redirect_uri"))
    query = urlencode({"code": code, "state": request.query.get("state", "")})
    return Reply(302, b"", {"Location": f"{request.query.get('redirect_uri')}?{query}#_"})


def _oauth_error(message: str) -> Reply:
    return Reply(400, {"error_type": "OAuthException", "code": 400, "error_message": message})


def exchange_code(emu: InstagramEmulator, request: Request) -> Reply:
    form = request.form
    if form.get("client_id") != emu.client_id or form.get("client_secret") != emu.client_secret:
        return _oauth_error("Invalid platform app")
    if form.get("grant_type") != "authorization_code":
        return _oauth_error("Invalid grant_type")
    with emu.lock:
        entry = emu.codes.pop(form.get("code", ""), None)
    if entry is None:
        return _oauth_error("This authorization code has been used or is invalid")
    ig_user_id, redirect_uri = entry
    if redirect_uri is not None and redirect_uri != form.get("redirect_uri"):
        return _oauth_error("Error validating verification code. Please make sure your redirect_uri is identical")
    token = emu.issue_token(ig_user_id, long_lived=False)
    entry_body = {"access_token": token, "user_id": int(ig_user_id), "permissions": PERMISSIONS}
    return Reply(200, entry_body if emu.flat_token_answer else {"data": [entry_body]})


def exchange_long_lived(emu: InstagramEmulator, request: Request) -> Reply:
    query = request.query
    if query.get("grant_type") != "ig_exchange_token":
        return graph_error("Unsupported grant_type", 100)
    if query.get("client_secret") != emu.client_secret:
        return graph_error("Error validating client secret.", 101)
    info = emu.tokens.get(query.get("access_token", ""))
    if info is None or info.expires_at <= emu.clock():
        return graph_error("Error validating access token: Session has expired", 190, 463)
    token = emu.issue_token(info.ig_user_id, long_lived=True)
    return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})


def refresh(emu: InstagramEmulator, request: Request) -> Reply:
    query = request.query
    if query.get("grant_type") != "ig_refresh_token":
        return graph_error("Unsupported grant_type", 100)
    info = emu.tokens.get(query.get("access_token", ""))
    if info is None or not info.long_lived or info.expires_at <= emu.clock():
        return graph_error("Error validating access token: Session has expired", 190, 463)
    if emu.clock() - info.issued_at < timedelta(hours=24):
        return graph_error("The access token must be at least 24 hours old to be refreshed", 100)
    token = emu.issue_token(info.ig_user_id, long_lived=True)
    return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})


# ------------------------------------------------------------------ Graph


def _token_account(emu: InstagramEmulator, request: Request) -> str | Reply:
    token = request.query.get("access_token")
    auth = request.headers.get("authorization", "")
    if not token and auth.lower().startswith(("bearer ", "oauth ")):
        token = auth.split(" ", 1)[1]
    info = emu.tokens.get(token or "")
    if info is None:
        return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
    if info.expires_at <= emu.clock():
        return graph_error("Error validating access token: Session has expired", 190, 463)
    return info.ig_user_id


def _not_found(object_id: str) -> Reply:
    return graph_error(
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation",
        100,
        33,
        kind="GraphMethodException",
    )


def graph(emu: InstagramEmulator, request: Request, parts: list[str]) -> Reply:
    owner = _token_account(emu, request)
    if isinstance(owner, Reply):
        return owner
    node = owner if parts[0] == "me" else parts[0]
    edge = parts[1] if len(parts) > 1 else None
    fields = [f for f in request.query.get("fields", "").split(",") if f]
    if request.method == "POST" and edge == "messages" and node == owner:
        return send(emu, owner, request)
    if request.method in ("POST", "DELETE") and node in emu.comments:
        return moderate(emu, owner, request, emu.comments[node], edge)
    if request.method != "GET":
        return _not_found(node)
    if edge is None and node.startswith("aWdfY29udjo"):
        thread = next((c for c in conversations(emu, owner) if c["id"] == node), None)
        return Reply(200, {"id": node, "messages": thread["messages"]}) if thread else _not_found(node)
    if node == owner and edge is None:
        return Reply(200, _pick(_account(emu, owner), fields or ["id", "username"]))
    if node == owner and edge == "media":
        items = sorted((m for m in emu.media.values() if m.owner_id == owner), key=lambda m: m.timestamp, reverse=True)
        if request.query.get("since"):
            items = [m for m in items if m.timestamp.timestamp() >= int(request.query["since"])]
        return Reply(200, emu.paginate(request, [_pick(_media(emu, m), fields) for m in items]))
    if node == owner and edge == "tags":
        items = sorted((m for m in emu.media.values() if owner in m.tagged), key=lambda m: m.timestamp, reverse=True)
        return Reply(200, emu.paginate(request, [_pick(_media(emu, m), fields) for m in items]))
    if node == owner and edge == "conversations":
        return Reply(200, emu.paginate(request, conversations(emu, owner)))
    media = emu.media.get(node)
    if media is not None and media.owner_id == owner:
        if edge is None:
            return Reply(200, _pick(_media(emu, media), fields))
        if edge == "comments":
            top = [c for c in emu.comments.values() if c.media_id == node and c.parent_id is None]
            return Reply(200, emu.paginate(request, [_pick(_comment(emu, c), fields) for c in _by_time(top)]))
    if edge is None and node in emu.people:
        return profile(emu, owner, node, fields)
    comment = emu.comments.get(node)
    if comment is not None and emu.media[comment.media_id].owner_id == owner:
        if edge is None:
            return Reply(200, _pick(_comment(emu, comment), fields))
        if edge == "replies":
            replies = [c for c in emu.comments.values() if c.parent_id == node]
            return Reply(200, emu.paginate(request, [_pick(_comment(emu, c), fields) for c in _by_time(replies)]))
    return _not_found(node)


def moderate(emu: InstagramEmulator, owner: str, request: Request, comment: CommentItem, edge: str | None) -> Reply:
    """Public replies (top-level, visible comments only), hide/unhide, and deleting the account's own reply."""
    if emu.media[comment.media_id].owner_id != owner:
        return _not_found(comment.id)
    account = emu.accounts[owner]
    if request.method == "DELETE" and edge is None:
        if comment.user_id != owner:
            return graph_error("(#200) Permissions error: you can delete only your own comments", 200)
        del emu.comments[comment.id]
        emu.deleted_comments.append(comment.id)
        return Reply(200, {"success": True})
    if request.method == "POST" and edge == "replies":
        text = request.query.get("message") or request.form.get("message")
        if not text:
            return graph_error("(#100) The parameter message is required", 100)
        if comment.parent_id is not None or comment.hidden:
            return graph_error("(#100) Replies are allowed only to visible top-level comments", 100)
        reply_id = emu.new_id()
        emu.comments[reply_id] = CommentItem(
            reply_id, comment.media_id, text, account.username, owner, emu.clock(), comment.id
        )
        emu.public_replies.append({"comment_id": comment.id, "id": reply_id, "text": text})
        return Reply(200, {"id": reply_id})
    if request.method == "POST" and edge is None and request.query.get("hide") in ("true", "false"):
        comment.hidden = request.query["hide"] == "true"
        emu.hide_calls.append((comment.id, comment.hidden))
        return Reply(200, {"success": True})
    return _not_found(comment.id)


def profile(emu: InstagramEmulator, owner: str, igsid: str, fields: list[str]) -> Reply:
    """User Profile API: only for a person who messaged this account (their consent), else error 230."""
    emu.profile_lookups.append(igsid)
    if not any(m["to"] == owner and m["from"] == igsid for m in emu.inbound):
        return graph_error("User consent is required to access user profile", 230, kind="IGApiException")
    person = emu.people[igsid]
    body = {
        "id": igsid,
        "name": person.get("name"),
        "username": person["username"],
        "profile_pic": f"https://scontent.cdninstagram.com/{igsid}.jpg",
        "is_verified_user": False,
        "follower_count": 12,
        "is_user_follow_business": True,
    }
    return Reply(200, _pick(body, fields))


def _by_time(comments: list[CommentItem]) -> list[CommentItem]:
    return sorted(comments, key=lambda c: (c.timestamp, int(c.id)))


def _pick(item: dict, fields: list[str]) -> dict:
    wanted = {f.split("{")[0].split(".")[0] for f in fields} | {"id"}
    picked = {k: v for k, v in item.items() if k in wanted} if fields else {"id": item["id"]}
    # An expanded edge, `replies{id}`, keeps only the sub-fields asked for in each of its items.
    for field_spec in fields:
        name, _, sub = field_spec.partition("{")
        edge = picked.get(name)
        if sub and isinstance(edge, dict) and isinstance(edge.get("data"), list):
            subfields = [f for f in sub.rstrip("}").split(",") if f]
            picked[name] = edge | {"data": [_pick(entry, subfields) for entry in edge["data"]]}
    return picked


def _account(emu: InstagramEmulator, ig_user_id: str) -> dict:
    account = emu.accounts[ig_user_id]
    return {
        "id": account.app_scoped_id,
        "user_id": account.id,
        "username": account.username,
        "account_type": account.account_type,
        "name": account.name,
    }


def _media(emu: InstagramEmulator, media: MediaItem) -> dict:
    count = sum(1 for c in emu.comments.values() if c.media_id == media.id)
    return {
        "id": media.id,
        "caption": media.caption,
        "media_type": media.media_type,
        "media_product_type": "FEED",
        "permalink": f"https://www.instagram.com/p/{media.id}/",
        "timestamp": ig_time(media.timestamp),
        "comments_count": count,
        "like_count": 0,
        "username": media.owner_username,
    }


def _comment(emu: InstagramEmulator, comment: CommentItem) -> dict:
    body: dict[str, Any] = {
        "id": comment.id,
        "text": comment.text,
        "timestamp": ig_time(comment.timestamp),
        "username": comment.username,
        "from": {"id": comment.user_id, "username": comment.username},
        "hidden": comment.hidden,
        "like_count": 0,
        "media": {"id": comment.media_id, "media_product_type": "FEED"},
    }
    if comment.parent_id:
        body["parent_id"] = comment.parent_id
    replies = [c for c in emu.comments.values() if c.parent_id == comment.id]
    if replies:
        # Like Graph: an empty edge is left out, a long one lists its first page with a `next` link.
        listed = [{"id": c.id, "timestamp": ig_time(c.timestamp)} for c in _by_time(replies)]
        body["replies"] = {"data": listed[: emu.page_size]}
        if len(listed) > emu.page_size:
            body["replies"]["paging"] = {"next": f"{emu.url}/{emu.api_version}/{comment.id}/replies"}
    return body


# ------------------------------------------------------------------ messages (the platform's rules)


def send(emu: InstagramEmulator, owner: str, request: Request) -> Reply:
    payload = request.json if isinstance(request.json, dict) else {}
    recipient = payload.get("recipient") or {}
    text = (payload.get("message") or {}).get("text")
    if not text:
        return graph_error("(#100) The parameter message is required", 100)
    now = emu.clock()
    if "comment_id" in recipient:
        comment = emu.comments.get(str(recipient["comment_id"]))
        if comment is None or emu.media[comment.media_id].owner_id != owner:
            return graph_error("(#100) Invalid parameter: comment_id", 100, kind="IGApiException")
        if comment.id in emu.private_replied:
            return graph_error(
                "(#10) A private reply has already been sent for this comment", 10, 2534014, 403, "IGApiException"
            )
        if now - comment.timestamp > PRIVATE_REPLY_WINDOW:
            return graph_error("This message is sent outside of allowed window.", 10, 2534022, 403, "IGApiException")
        emu.private_replied.add(comment.id)
        recipient_id = comment.user_id
    elif "id" in recipient:
        recipient_id = str(recipient["id"])
        last = max(
            (m["timestamp"] for m in emu.inbound if m["to"] == owner and m["from"] == recipient_id), default=None
        )
        if recipient_id in emu.unavailable:
            return graph_error("This person isn't available right now.", 551, 1545041, 400, "IGApiException")
        human_agent = payload.get("messaging_type") == "MESSAGE_TAG" and payload.get("tag") == "HUMAN_AGENT"
        if human_agent and not emu.human_agent_granted:
            return graph_error("(#10) The app lacks the human_agent permission", 10, kind="IGApiException")
        window = HUMAN_AGENT_WINDOW if human_agent else MESSAGE_WINDOW
        if last is None or now - last > window:
            return graph_error("This message is sent outside of allowed window.", 10, 2534022, 403, "IGApiException")
    else:
        return graph_error("(#100) The parameter recipient is required", 100)
    message_id = "aWdfZAG1faXRlbTox" + secrets.token_urlsafe(16)
    emu.sent_messages.append(
        {
            "ig_user_id": owner,
            "recipient": dict(recipient),
            "recipient_id": recipient_id,
            "text": text,
            "message_id": message_id,
            "at": now,
        }
    )
    return Reply(200, {"recipient_id": recipient_id, "message_id": message_id})


def conversations(emu: InstagramEmulator, owner: str) -> list[dict]:
    """One conversation per person who wrote to, or was written to by, the account."""
    account = emu.accounts[owner]
    me = {"id": owner, "username": account.username}
    threads: dict[str, list[dict]] = {}
    for m in emu.inbound:
        if m["to"] == owner:
            person = {"id": m["from"], "username": m.get("username") or f"user{m['from']}"}
            entry = {"id": m["id"], "created_time": m["timestamp"], "from": person, "to": {"data": [me]}}
            threads.setdefault(m["from"], []).append(entry | {"message": m["text"]})
    for m in emu.sent_messages:
        if m["ig_user_id"] == owner and m["recipient_id"]:
            person = {"id": m["recipient_id"], "username": f"user{m['recipient_id']}"}
            entry = {"id": m["message_id"], "created_time": m["at"], "from": me, "to": {"data": [person]}}
            threads.setdefault(m["recipient_id"], []).append(entry | {"message": m["text"]})
    result = []
    for person_id, messages in threads.items():
        messages.sort(key=lambda m: m["created_time"], reverse=True)
        other = next((m["from"] for m in messages if m["from"]["id"] == person_id), messages[0]["to"]["data"][0])
        result.append(
            {
                "id": "aWdfY29udjo" + owner[-6:] + person_id,
                "updated_time": ig_time(messages[0]["created_time"]),
                "participants": {"data": [me, other]},
                "messages": {"data": [m | {"created_time": ig_time(m["created_time"])} for m in messages[:20]]},
            }
        )
    result.sort(key=lambda c: c["updated_time"], reverse=True)
    return result
