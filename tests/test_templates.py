"""Tests of logcrunch.templates and the level rules on real layouts (logcrunch.formats)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logcrunch import formats
from logcrunch.templates import (
    TEMPLATE_MAX_BYTES,
    line_template,
    mask,
    template_text,
)


def template(line: str, file_format: str = formats.PLAIN) -> str:
    return template_text(line_template(line.encode(), file_format))


# --- levels on real layouts ----------------------------------------------------------------

LEVELS = [
    ("Dec 10 06:55:46 LabSZ sshd[24324]: error: Received disconnect from 1.2.3.4: 14: x", "error"),
    ("Dec 10 06:55:46 LabSZ sshd[24324]: fatal: Read from socket failed: reset", "error"),
    ("Dec 10 06:55:46 LabSZ sshd[24324]: warning: too many sessions", "warn"),
    ("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: error: x", "error"),
    ("Dec 10 06:55:46 LabSZ sshd[24324]: Invalid user test from 1.2.3.4", "none"),
    ("Dec 10 06:55:46 LabSZ sshd[24324]: the error: was elsewhere", "none"),
    ("2016-09-28 04:30:31, Error                 CBS    Failed to open package.", "error"),
    ("2016-09-28 04:30:31, Warning               CBS    Unable to get session", "warn"),
    ("2016-09-28 04:30:31, Info                  CBS    Loaded Servicing Stack", "other"),
    ("2016-09-28 04:30:31, Started Error handling", "none"),
    ("E1127 12:00:00.123456  1234 file.go:12] cannot sync pod", "error"),
    ("F1127 12:00:00.123456  1234 file.go:12] fatal", "error"),
    ("W1127 12:00:00.123456  1234 file.go:12] slow", "warn"),
    ("I1127 12:00:00.123456  1234 file.go:12] ok ERROR", "other"),
    ("<11>1 2003-10-11T22:14:15.003Z host app - - - msg", "error"),
    ("<12>Oct 11 22:14:15 host app: msg", "warn"),
    ("<14>Oct 11 22:14:15 host app: ERROR inside", "other"),
    ("<192>Oct 11 22:14:15 host app: ERROR inside", "error"),
    ("ERROR:root:something broke", "error"),
    ("WARNING:urllib3.connectionpool:Retrying", "warn"),
    ("2026-01-01 12:00:00,123 - app.db - ERROR - connection lost", "error"),
    ("fail: Microsoft.AspNetCore.Server[0]", "error"),
    ("warn: Microsoft.AspNetCore.Server[0]", "warn"),
    ("info: Microsoft.Hosting.Lifetime[0]", "other"),
    ("Error: cannot open file", "error"),
    ("[15:24:01 ERR] Serilog's console layout", "error"),
    ("[2026-11-27T02:00:01.123] error: Nodes cn[0001-0004] not responding", "error"),
    ("[2026-11-27T02:00:01.123] debug: x", "other"),
    ("[10.30 16:49:06] chrome.exe - proxy.example.com:5070 error : Could not connect", "error"),
    # Serilog / zerolog / Ceph's cluster log abbreviations, log15's eror
    ("2026-11-24 03:57:51.940 +00:00 [WRN] Health check rabbitmq completed", "warn"),
    ("2026-11-24 03:57:51.940 +00:00 [FTL] Host terminated unexpectedly", "error"),
    ("2026-11-24 03:57:51.940 +00:00 [INF] Now listening", "other"),
    ("10:00:00 WRN slow request path=/x", "warn"),
    ("t=2026-11-24T10:00:00+0000 lvl=eror msg=failed", "error"),
    ("2026-11-24T05:31:15.262139+0000 7f40853359f8 0 mon.b@2(leader) log_channel(cluster) log "
     "[WRN] : Health check update: 105 slow ops", "warn"),
    # Title-case colon form after a tag of any non-blank bytes (Dovecot)
    ("Nov 24 01:08:27 imap(j.doe@example.com)<92544><f82936c8>: Error: Mailbox Junk: denied", "error"),
    ("Nov 24 01:08:27 dovecot: lmtp(4242): Fatal: master: service(lmtp): child killed", "error"),
    ("Nov 24 01:08:27 auth: Warning: auth client 1 disconnected", "warn"),
    ("Nov 24 01:08:27 imap(x): The Error: was elsewhere", "none"),
    # dmesg --decode
    ("kern  :err   : [Tue Nov 24 04:35:19 2026] ata6.00: failed command: FLUSH CACHE EXT", "error"),
    ("kern  :warn  : [  12.345678] nvme nvme3: I/O 947 QID 10 timeout", "warn"),
    ("daemon:info  : [  12.345678] systemd[1]: Started x", "other"),
    ("kern  :oops  : x", "none"),
    # Asterisk: LEVEL[pid] after a bracketed syslog stamp
    ("[Nov 24 05:35:42] WARNING[36970][C-d3c11759] pbx.c: Channel sent to invalid extension", "warn"),
    ("[Nov 24 05:35:59] ERROR[53597] res_pjsip/pjsip_distributor.c: Request failed", "error"),
    ("[Nov 24 05:35:44] NOTICE[19053] res_pjsip_sdp_rtp.c: Disconnecting channel", "other"),
    ("WARNING[36970] x", "none"),
    # single-letter severities in the level position (MongoDB 4.x, GlusterFS)
    ("2026-11-24T01:15:55.390+0000 W REPL_HB  [replexec] Error in heartbeat", "warn"),
    ("2026-11-24T01:16:04.557+0000 E STORAGE  [conn58082] WiredTiger error", "error"),
    ("2026-11-24T01:16:04.557+0000 F -        [conn1] Fatal Assertion 28559", "error"),
    ("2026-11-24T01:16:12.056+0000 I ACCESS   [conn67983] Authentication failed", "other"),
    ("[2026-11-24 04:41:34.063073] C [rpc-clnt-ping.c:199:rpc_clnt_ping_timer_expired] x", "error"),
    ("[2026-11-24 04:41:50.954969] W [MSGID: 114031] [client-rpc-fops_v2.c:2468] x", "warn"),
    ("2026-11-24T01:16:12.056+0000 A user logged in", "none"),
    ("W REPL_HB x", "none"),
    # Exim's delivery flags, Ceph's priority -1
    ("2026-11-24 03:27:59 1S88x9-hoLCXw-XT ** noreply@example.com R=dnslookup: 550 unknown", "error"),
    ("2026-11-24 03:27:59 1S88x9-hoLCXw-XT == x@example.com R=dnslookup defer (-1): refused", "warn"),
    ("2026-11-24 03:28:13 1nZgoc-gNW7Fc-QQ <= alice@gmail.com H=aspmx.l.google.com", "other"),
    ("2026-11-24 03:28:10 1XtKhz-kIo4vR-A7 Completed", "none"),
    ("2026-11-24T05:31:11.021415+0000 7f351f875670 -1 osd.5 36440 heartbeat_check: no reply", "error"),
    ("2026-11-24T05:31:11.021415+0000 7f351f875670 0 osd.5 36440 tick", "none"),
    ("java.io.IOException: Connection reset", "none"),
    ("\tat org.apache.X.run(X.java:1)", "none"),
    ("no level here", "none"),
]

NAMES = {formats.ERROR: "error", formats.WARN: "warn", formats.NEUTRAL: "other",
         formats.NONE: "none"}


@pytest.mark.parametrize(("line", "expected"), LEVELS)
def test_levels_of_real_layouts(line, expected):
    assert NAMES[formats.line_level(line.encode(), formats.PLAIN)] == expected


def test_the_first_level_token_still_wins():
    assert formats.token_level(b"Nov 27 02:00:01 node07 api[4242]: INFO ERROR budget") == \
        formats.NEUTRAL
    assert formats.token_level(b"Dec 10 06:55:46 h sshd[1]: error: WARN later") == formats.ERROR


def test_json_access_and_logcat_lines_always_or_never_carry_a_level():
    assert formats.line_level(b'{"msg":"x"}', formats.JSON) == formats.NONE
    assert formats.line_level(b'{"level":"info","msg":"x"}', formats.JSON) == formats.NEUTRAL
    assert formats.line_level(b'{"level":30}', formats.JSON) == formats.NEUTRAL
    access = b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326'
    assert formats.line_level(access, formats.ACCESS) == formats.NEUTRAL
    logcat = b"03-17 16:13:38.811  1702  2395 D WindowManager: x"
    assert formats.line_level(logcat, formats.LOGCAT) == formats.NEUTRAL


# --- templates -------------------------------------------------------------------------------

def test_variable_parts_become_wildcards():
    assert template("2026-11-27 02:00:01 ERROR copied 12 blocks (3.5 MB) to 10.0.0.1:8020 in "
                    "12ms, id 123e4567-e89b-12d3-a456-426614174000 blk_-1608999687919862906 "
                    "vol12 0xdeadbeef /data/part-0001 \"my file.txt\" user='bob smith' "
                    "retries=3") == \
        "copied <*> blocks (<*> MB) to <*> in <*>, id <*> user=<*> retries=<*>"


def test_one_statement_is_one_template():
    lines = [f"Dec 10 06:55:{s:02d} LabSZ sshd[{pid}]: error: Received disconnect from "
             f"{ip}: 14: No more user authentication methods available. [preauth]"
             for s, pid, ip in ((1, 24324, "103.99.0.122"), (9, 5, "1.2.3.4"))]
    assert template(lines[0]) == template(lines[1]) == \
        "Received disconnect from <*> No more user authentication methods available. [<*>]"


def test_statements_that_differ_in_constant_text_stay_apart():
    lost = template("2015-10-18 18:01:47,978 WARN [main] X: Replica 3 is lost")
    corrupt = template("2015-10-18 18:01:47,978 WARN [main] X: Replica 3 is corrupt")
    assert lost != corrupt
    assert lost == "[<*>] X: Replica <*> is lost"


def test_a_word_after_a_name_key_is_a_variable():
    assert template("ERROR authentication failed for user jdoe") == \
        template("ERROR authentication failed for user anguyen") == \
        "authentication failed for user <*>"
    assert template("WARN queue webhooks is full, dropping message") == \
        "queue <*> is full, dropping message"
    assert mask(b"Health check for server backend_a failed") == b"Health check for server <*> failed"
    assert mask(b"USER ROOT denied") == b"USER <*> denied"  # keys in any case
    assert mask(b"user Root denied") == b"user Root denied"  # Title-case stays
    assert mask(b"user  jdoe") == b"user <*>"  # any blanks


def test_words_after_name_keys_that_stay_text():
    assert mask(b"queue is full") == b"queue is full"  # a stop word
    assert mask(b"queue full") != mask(b"queue empty")  # statements apart
    assert mask(b"Container killed by the framework") == b"Container killed by the framework"
    assert mask(b"Container preempted") != mask(b"Container killed")  # verbs: -ed
    assert mask(b"node JOINING now") == b"node JOINING now"  # -ing, any case
    assert mask(b"Service Control Manager") == b"Service Control Manager"  # Title-case
    assert mask(b"No more user authentication methods") == b"No more user authentication methods"
    assert mask(b"user,jdoe user:jdoe user=jdoe") == b"user,jdoe user:jdoe user=<*>"  # no blank
    assert mask(b"user <*> jdoe") == b"user <*> jdoe"  # only right after the key word
    assert mask(b"userx jdoe") == b"userx jdoe"


def test_a_single_bracketed_word_is_a_variable():
    assert mask(b"for servlet [dispatcherServlet] in context") == b"for servlet [<*>] in context"
    assert mask(b"attempt to connect to 1.2.3.4:80 (localhost) failed") == \
        b"attempt to connect to <*> (<*>) failed"
    assert mask(b"[UFW BLOCK] x") == b"[UFW BLOCK] x"  # two words
    assert mask(b"[x) (y] [z") == b"[x) (y] [z"  # brackets that do not pair


def test_a_node_list_is_one_variable():
    assert mask(b"Nodes cn[01-04,7] not responding") == mask(b"Nodes cn05 not responding") == \
        b"Nodes <*> not responding"
    assert mask(b"node[3]: x") == b"<*>: x"
    assert mask(b"a[] b[x] c[1") == b"a[] b[<*>] c[<*>"  # not lists of numbers


def test_logfmt_messages_stay_text_and_values_are_masked():
    line = 'ts=2026-11-01T00:00:00Z level=error msg="db down after 3 tries" attempt=3 target=38,'
    assert template(line) == 'msg="db down after <*> tries" attempt=<*> target=<*>,'


def test_json_messages_and_access_requests():
    assert template('{"level":"error","msg":"db 5 down","x":1}', formats.JSON) == "db <*> down"
    access = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /api/users/123?x=1 HTTP/1.0" 503 2326'
    assert template(access, formats.ACCESS) == "GET /api/users/<*> 503"


def test_headers_are_not_part_of_the_template():
    assert template("E1127 12:00:00.123456  1234 file.go:12] could not sync pod") == \
        "could not sync pod"
    assert template("<11>1 2003-10-11T22:14:15.003Z host app 123 ID47 - failed to start") == \
        "failed to start"
    assert template("<11>Oct 11 22:14:15 mymachine su[12]: failed for x") == "failed for x"


def test_headers_of_more_layouts_are_not_part_of_the_template():
    assert template("INFO:app.jobs:Processed 127063 items in 928.2s") == "Processed <*> items in <*>"
    assert template("WARNING:py.warnings:/opt/x.py:278: DeprecationWarning: x") == \
        "<*> DeprecationWarning: x"
    assert template("ERROR:root:disk full") == "disk full"
    assert template("kern  :err   : [Tue Nov 24 04:35:19 2026] ata6.00: failed command: FLUSH") == \
        template("kern  :err   : [Wed Nov 25 04:35:19 2026] ata1.00: failed command: FLUSH") == \
        "[<*>] <*> failed command: FLUSH"
    with_call = template("[Nov 24 05:35:52] WARNING[73669][C-731e03fa] res_pjsip_outbound_registration"
                         ".c: No response received from 'sip:a' on registration attempt")
    without = template("[Nov 24 05:35:52] WARNING[7] res_pjsip_outbound_registration.c: No response "
                       "received from 'sip:b' on registration attempt")
    assert with_call == without == "[<*>] <*> No response received from <*> on registration attempt"
    assert template("2026-11-24T01:15:55.390+0000 W REPL_HB  [replexec] Error in heartbeat") == \
        "<*> [<*>] Error in heartbeat"  # REPL_HB: a snake_case name
    assert template("Nov 24 01:08:27 imap(a@b.c)<1><2>: Error: Mailbox Junk: denied") == \
        "Mailbox Junk: denied"


def test_a_snake_case_name_is_a_variable():
    assert mask(b"helper basic_ncsa_auth exited") == mask(b"helper negotiate_kerberos_auth exited") \
        == b"helper <*> exited"
    assert mask(b"Peer down: connection_closed") == b"Peer down: <*>"
    # only a '_' between two letters or digits
    assert mask(b"_private __init__ a_ _b snake-case") == b"_private __init__ a_ _b snake-case"


def test_brackets_right_after_the_level_are_one_variable():
    assert template("ERROR [main][req-12] x") == template("ERROR [main] x") == "[<*>] x"
    assert template("ERROR [main] [req-12] x") == "[<*>] [<*>] x"  # a blank between: two
    assert template("ERROR [main][unclosed x") == "[<*>][unclosed x"


def test_control_characters_and_bad_utf8_are_escaped():
    raw = mask(b"bad \xff byte \x1b[31m red")
    assert template_text(raw) == "bad \\xff byte \\x1b[<*> red"


def test_templates_are_bounded():
    assert len(mask(b"word " * 10_000)) <= TEMPLATE_MAX_BYTES


def test_an_unclosed_quote_is_an_ordinary_byte():
    assert mask(b'open "file 12') == b'open "file <*>'
    assert mask(b"can't open 12") == b"can't open <*>"


LINE_PARTS = st.lists(st.sampled_from([
    "ERROR", "error:", "Warning", "WARN", " ", "\t", "12", "0x1f", "1.2.3.4:80", '"a b"', "'c d'",
    "key=1", "key=v,", 'msg="x 1"', "message=", "[", "]", "(", ")", "|", ",", "Replica", "lost",
    "\\", '"', "'", "=", "blk_-1", "vol12", "Dec 10 06:55:46", "sshd[1]:", "2026-11-26 13:00:00",
    "é", "<*>",
]), max_size=25).map("".join)


@given(LINE_PARTS)
def test_a_template_is_a_pure_bounded_function_of_the_line(line):
    content = line.encode()
    first = line_template(content, formats.PLAIN)
    assert first == line_template(bytes(content), formats.PLAIN)
    assert len(first) <= TEMPLATE_MAX_BYTES
    assert "\n" not in template_text(first)
    for word in template_text(mask(content)).split():
        if "=" not in word and "\\x" not in word:
            assert not any(ch.isdigit() for ch in word)
