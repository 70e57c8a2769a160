"""Typed msgspec decoder for export's fast path: a plain message line with every key a row reads.

Kept apart so msgspec is imported only when an export takes the fast path. Each field admits
only values ``webhook.rows.row_of`` turns into a column with no second look and for which the
general reader sees no anomaly; anything else (a header that is not an object, a sync_once
other than 0, 1 or null, a number out of its column's range, a float id, recipients that are
not strings...) fails to decode, and the line takes the general path.
"""

from typing import Annotated, Literal, Optional, Union

import msgspec

from wkcli.read.fast.decode import record_decoders
from wkcli.webhook.rows import I32_MAX, I32_MIN, I64_MAX, I64_MIN
from wkcli.webhook.times import MAX_SECONDS, MIN_SECONDS

UNSET = msgspec.UNSET
_Unset = msgspec.UnsetType
_IN_RANGE = msgspec.Meta(ge=MIN_SECONDS, le=MAX_SECONDS)
Int32 = Optional[Annotated[int, msgspec.Meta(ge=I32_MIN, le=I32_MAX)]]
Int64 = Optional[Annotated[int, msgspec.Meta(ge=I64_MIN, le=I64_MAX)]]


class Header(msgspec.Struct, gc=False):
    sync_once: Union[Literal[0, 1], None, _Unset] = UNSET
    no_persist: Int32 = None
    red_dot: Int32 = None


class Row(msgspec.Struct, gc=False):
    """A message object with a header object; keys not named here are checked as JSON, not kept."""

    header: Header
    # A time no calendar shows is an anomaly the general path reports (strings it ignores).
    timestamp: Union[Annotated[int, _IN_RANGE], Annotated[float, _IN_RANGE], str, None] = None
    channel_id: Optional[str] = None
    channel_type: Int32 = None
    from_uid: Optional[str] = None
    # Exact: msgspec never reads an integer as a float. Any width: ``FastRows`` sends one that is
    # not a 64-bit id to the general path.
    message_id: Optional[int] = None
    message_idstr: Optional[str] = None
    client_msg_no: Optional[str] = None
    message_seq: Int64 = None
    setting: Int32 = None
    payload: Union[str, None, _Unset] = UNSET
    to_uids: Union[list[str], None, _Unset] = UNSET
    compress_to_uids: Union[str, None, _Unset] = UNSET
    compress: Union[str, None, _Unset] = UNSET
    source_id: Union[msgspec.Raw, _Unset] = UNSET  # only whether it is there (msg.offline)


# A line: one message, or a msg.notify body (an array of them).
decode_body = msgspec.json.Decoder(Union[Row, list[Row]]).decode
# Or an envelope or a capture record of them, or of presence entries; or presence entries alone.
decode_envelope, decode_capture = record_decoders(Row, presence=True)
decode_presence = msgspec.json.Decoder(list[str]).decode
