"""Gammu as an independent SMS PDU codec for tests/gammu_oracle.rs (python3-gammu 1.42,
run with Debian's /usr/bin/python3).

    gammu_oracle.py encode < cases.json   # texts -> PDUs made by Gammu
    gammu_oracle.py decode < cases.json   # PDUs -> what Gammu reads in them

stdin is a JSON array of cases, stdout a JSON array of results in the same order. A case
that Gammu refuses gives {"error": "..."} instead of stopping the batch.

Known Gammu 1.42 fault, worked around here: decoding GSM 7-bit text that uses extension
characters appends garbage after a NUL, so decoded texts are cut at the first NUL.
"""

import datetime
import json
import sys

import gammu


def smsc(number):
    return {
        "Location": 0,
        "Number": number or "",
        "Validity": "NA",
        "Format": "Text",
        "Class": -1,
        "DefaultNumber": "",
        "Name": "",
    }


def encode(case):
    """{"text", "number", "unicode", "layout": "Deliver"|"Submit", "smsc", "scts"}
    -> {"pdus": [hex with SMSC field]}"""
    parts = gammu.EncodeSMS(
        {
            "Class": -1,
            "Unicode": case["unicode"],
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": case["text"]}],
        }
    )
    pdus = []
    for sms in parts:
        sms["Number"] = case["number"]
        sms["SMSC"] = smsc(case.get("smsc"))
        if case["layout"] == "Deliver":
            sms["Type"] = "Deliver"
            sms["DateTime"] = datetime.datetime.fromisoformat(case["scts"])
        pdus.append(gammu.EncodePDU(sms, Layout=case["layout"]).hex().upper())
    return {"pdus": pdus}


def cut(text):
    return text.split("\x00", 1)[0] if isinstance(text, str) else None


def decode(case):
    """{"pdus": [hex with SMSC field]} -> per part: type, number, smsc, coding, text,
    concatenation, time stamp, TP-MR; and for several parts Gammu's own joined text.
    (Gammu does not report TP-SRR, TP-RD or TP-RP when decoding.)"""
    msgs = [gammu.DecodePDU(bytes.fromhex(h), SMSC=True) for h in case["pdus"]]
    parts = []
    for m in msgs:
        udh = m.get("UDH") or {}
        stamp = m.get("DateTime")
        parts.append(
            {
                "type": m["Type"],
                "number": m["Number"],
                "smsc": (m.get("SMSC") or {}).get("Number", ""),
                "coding": m["Coding"],
                "text": cut(m["Text"]),
                "udh_type": udh.get("Type"),
                "ref8": udh.get("ID8bit", -1),
                "part": udh.get("PartNumber", -1),
                "total": udh.get("AllParts", -1),
                "datetime": stamp.isoformat() if stamp else None,
                "message_ref": m.get("MessageReference"),
            }
        )
    joined = None
    if len(msgs) > 1:
        linked = gammu.DecodeSMS(msgs)
        if linked:
            joined = "".join(cut(e.get("Buffer") or "") for e in linked["Entries"])
    return {"parts": parts, "joined": joined}


def main():
    mode = {"encode": encode, "decode": decode}[sys.argv[1]]
    out = []
    for case in json.load(sys.stdin):
        try:
            out.append(mode(case))
        except Exception as e:  # one refused case must not hide the others
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
