//! The JSON views on known PDUs: the TS 23.038 "hellohello" SMS-DELIVER, and vectors from
//! /work/shared/testdata/sms/pdu_vectors.jsonl (id given with each), whose field values
//! come from the source's own assertions.

use super::super::{parse_hex, DeliverOptions, Scts};
use super::*;
use serde_json::json;

fn view(hex_in: &str, framing: Framing) -> Value {
    let bytes = parse_hex(hex_in).unwrap();
    let pdu = decode(&bytes, framing, TypeHint::ByMti).unwrap();
    describe(&pdu, &bytes)
}

#[test]
fn hellohello_deliver_every_field() {
    let hex_in = "07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37";
    let v = view(hex_in, Framing::WithSmsc);
    assert_eq!(v["type"], "SMS-DELIVER");
    assert_eq!(v["raw"], hex_in);
    assert_eq!(v["tpdu"], &hex_in[16..]);
    assert_eq!(v["tpdu_len"], 28);
    assert_eq!(v["smsc_field_octets"], 8);
    assert_eq!(
        v["smsc"],
        json!({
            "value": "+12345678901",
            "digits": "12345678901",
            "alphanumeric": null,
            "type_of_number": "international",
            "numbering_plan": "isdn_telephone",
            "toa": "91",
        })
    );
    assert_eq!(
        v["first_octet"],
        json!({
            "hex": "04", "mti": 0, "udhi": false, "mms": true,
            "more_messages_waiting": false, "lp": false, "sri": false, "rp": false,
        })
    );
    assert_eq!(v["sender"]["value"], "+18005551212");
    assert_eq!(v["sender"]["digits"], "18005551212");
    assert_eq!(v["pid"]["raw"], 0);
    assert_eq!(
        v["dcs"],
        json!({
            "raw": 0, "hex": "00", "alphabet": "gsm7", "class": null,
            "compressed": false, "waiting": null,
        })
    );
    assert_eq!(v["scts"], "2011-01-01T12:34:56+00:00");
    assert_eq!(v["user_data_length"], 10);
    assert_eq!(v["user_data_unit"], "septets");
    assert_eq!(v["user_data_octets"], 9);
    assert_eq!(v["truncated"], false);
    assert_eq!(v["udh"], Value::Null);
    assert_eq!(v["concat"], Value::Null);
    assert_eq!(v["text"], "hellohello");
    assert_eq!(v["data_hex"], Value::Null);
}

#[test]
fn eight_bit_data_and_flash_class() {
    // v063: DCS 0x04, the "hellohello" septets read as data.
    let v = view(
        "07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE",
        Framing::WithSmsc,
    );
    assert_eq!(v["dcs"]["alphabet"], "8bit");
    assert_eq!(v["user_data_unit"], "octets");
    assert_eq!(v["text"], Value::Null);
    assert_eq!(v["data_hex"], "E8329BFD4697D9EC37DE");
    // v065: DCS 0xF4, 8-bit class 0.
    let v = view(
        "07912143658709F1040B918100551512F200F4111010214365000AE8329BFD4697D9EC37DE",
        Framing::WithSmsc,
    );
    assert_eq!(v["dcs"]["hex"], "F4");
    assert_eq!(v["dcs"]["class"], 0);
    assert_eq!(v["data_hex"], "E8329BFD4697D9EC37DE");
}

#[test]
fn alphanumeric_sender_and_ucs2_concat() {
    // v012: "Megafon", part 1 of 2 (ref 0x56), UCS2, +04:00.
    let v = view(
        "07919762020033F1400DD0CDF2396C7EBB010008415072411084618C0500035602010053004D005300200063006F00640065003A00200034003800350036002C00200063006F006E006600690072006D006100740069006F006E0020006F00660020006100730073006F00630069006100740069006F006E0020006200650074007700650065006E0020006100630063006F0075006E007400200061006E00640020004D00650067",
        Framing::WithSmsc,
    );
    assert_eq!(v["smsc"]["value"], "+79262000331");
    assert_eq!(v["sender"]["alphanumeric"], "Megafon");
    assert_eq!(v["sender"]["digits"], Value::Null);
    assert_eq!(v["sender"]["type_of_number"], "alphanumeric");
    assert_eq!(v["sender"]["toa"], "D0");
    assert_eq!(v["first_octet"]["udhi"], true);
    assert_eq!(v["dcs"]["alphabet"], "ucs2");
    assert_eq!(v["scts"], "2014-05-27T14:01:48+04:00");
    assert_eq!(
        v["concat"],
        json!({"ref": 0x56, "total": 2, "seq": 1, "ref_bits": 8})
    );
    assert_eq!(
        v["udh"]["elements"],
        json!([{"iei": "00", "name": "concatenation, 8-bit reference", "data": "560201"}])
    );
    assert_eq!(v["udh"]["hex"], "0003560201");
    assert_eq!(v["user_data_length"], 140);
    assert_eq!(
        v["text"],
        "SMS code: 4856, confirmation of association between account and Meg"
    );
}

#[test]
fn sixteen_bit_concat_and_ports() {
    // v146: 16-bit reference 0x1234.
    let v = view(
        "07919730071111F1400B919746121611F10000811170021222230E06080412340201C8329BFD6601",
        Framing::WithSmsc,
    );
    assert_eq!(
        v["concat"],
        json!({"ref": 4660, "total": 2, "seq": 1, "ref_bits": 16})
    );
    assert_eq!(v["udh"]["elements"][0]["data"], "12340201");
    assert_eq!(v["text"], "Hello,");
    // v118: WAP push, 16-bit ports 2948 <- 9200 and an 8-bit concatenation IE.
    let v = view(
        concat!(
            "07914140279510F6440A8111110301003BF56080207130138A8C0B05040B8423F000032A02010106",
            "276170706C69636174696F6E2F766E642E7761702E6D6D732D6D65737361676500AF848D0185B4848C",
            "8298524E453955304A6D713551414142666C414141414D7741414236514141414141008D9089188",
            "02B31353132323937373638332F545950453D504C4D4E008A808E022B918805810306977F836874",
            "74703A2F2F36"
        ),
        Framing::WithSmsc,
    );
    assert_eq!(
        v["udh"]["ports"],
        json!({"destination": 2948, "source": 9200})
    );
    assert_eq!(v["udh"]["elements"][0]["iei"], "05");
    assert_eq!(v["udh"]["elements"][1]["iei"], "00");
    assert_eq!(v["concat"]["ref"], 42);
    assert_eq!(v["dcs"]["alphabet"], "8bit");
    assert_eq!(v["user_data_length"], 140);
    assert_eq!(v["truncated"], false);
}

#[test]
fn submit_with_relative_and_absolute_validity() {
    // v004: TP-VP 0xA9 = 3 days, status report requested.
    let v = view(
        "07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
        Framing::WithSmsc,
    );
    assert_eq!(v["type"], "SMS-SUBMIT");
    assert_eq!(
        v["first_octet"],
        json!({"hex": "31", "mti": 1, "udhi": false, "rd": false, "vpf": "relative", "srr": true, "rp": false})
    );
    assert_eq!(v["message_ref"], 13);
    assert_eq!(v["recipient"]["value"], "+31628870634");
    assert_eq!(
        v["validity"],
        json!({"format": "relative", "octet": "A9", "minutes": 4320})
    );
    assert_eq!(v["text"], "www.diafaan.com");
    // v010: absolute validity period.
    let v = view(
        "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
        Framing::WithSmsc,
    );
    assert_eq!(v["smsc"], Value::Null);
    assert_eq!(v["smsc_field_octets"], 1);
    assert_eq!(v["first_octet"]["vpf"], "absolute");
    assert_eq!(
        v["validity"],
        json!({"format": "absolute", "expires": "2013-07-10T13:39:00+02:00"})
    );
    assert_eq!(v["text"], "Timestamp validity test");
}

#[test]
fn status_reports_with_and_without_tail() {
    // v028: an Indonesian report, SCTS +08:00 and discharge +07:00.
    let v = view(
        "0006230E9126983575169498610103409544C26101034095448200",
        Framing::WithSmsc,
    );
    assert_eq!(v["type"], "SMS-STATUS-REPORT");
    assert_eq!(v["message_ref"], 35);
    assert_eq!(v["recipient"]["value"], "+62895357614989");
    assert_eq!(v["scts"], "2016-10-30T04:59:44+08:00");
    assert_eq!(v["discharge_time"], "2016-10-30T04:59:44+07:00");
    assert_eq!(
        v["status"],
        json!({"raw": 0, "hex": "00", "outcome": "delivered", "meaning": "short message received by the SME"})
    );
    assert_eq!(v["first_octet"]["srq"], false);
    assert_eq!(v["pi"], Value::Null);
    assert_eq!(v["text"], Value::Null);
    assert_eq!(v["user_data_length"], Value::Null);
    // v110: bare TPDU, status 0xAB (reserved, failed), TP-PI 06 with 8-bit "report".
    let v = view(
        "0242049136195150713220052351408132200542AB0604067265706F7274",
        Framing::Tpdu,
    );
    assert_eq!(v["smsc"], Value::Null);
    assert_eq!(v["smsc_field_octets"], 0);
    assert_eq!(v["message_ref"], 66);
    assert_eq!(v["recipient"]["value"], "+6391");
    assert_eq!(v["scts"], "2015-05-17T23:02:50+08:00");
    assert_eq!(v["discharge_time"], "2015-04-18T23:02:50+06:00");
    assert_eq!(v["status"]["outcome"], "failed");
    assert_eq!(v["status"]["meaning"], "reserved");
    assert_eq!(v["pi"], "06");
    assert_eq!(v["dcs"]["raw"], 4);
    assert_eq!(v["data_hex"], to_hex(b"report"));
}

#[test]
fn dcs_message_waiting_and_pid_names() {
    let v = dcs(&Dcs::decode(0xC8));
    assert_eq!(
        v["waiting"],
        json!({"active": true, "kind": "voicemail", "store": false})
    );
    assert_eq!(pid(0x41)["meaning"], "replace short message type 1");
    assert_eq!(pid(0x7F)["meaning"], "(U)SIM data download");
    assert_eq!(status(0x46)["outcome"], "failed");
    assert_eq!(status(0x21)["outcome"], "pending");
}

#[test]
fn errors_point_at_the_octet() {
    let hex_in = "0043010C910661345542F60008A0050003000301306F3044";
    let e = decode(hex_in, Framing::WithSmsc, TypeHint::ByMti).unwrap_err();
    let v = describe_error(&e, hex_in);
    assert_eq!(v["kind"], "reserved_mti");
    assert_eq!(v["offset"], 1);
    assert_eq!(v["offset_unit"], "octet");
    assert_eq!(v["raw"], hex_in);
    assert_eq!(v["from_offset"], &hex_in[2..]);
    assert_eq!(v["error"], e.to_string());
    let e = decode(" 0A1", Framing::Tpdu, TypeHint::ByMti).unwrap_err();
    let v = describe_error(&e, " 0A1");
    assert_eq!(v["kind"], "bad_hex");
    assert_eq!(v["offset_unit"], "hex character");
    assert_eq!(v["raw"], "0A1");
    assert_eq!(v["from_offset"], "1");
}

#[test]
fn encode_plan_single_gsm7() {
    let v = encode_plan("+46708251358", "hellohello", &SubmitOptions::default()).unwrap();
    assert_eq!(v["coding"], "gsm7");
    assert_eq!(v["parts"], 1);
    assert_eq!(v["text_septets"], 10);
    assert_eq!(v["text_utf16_units"], Value::Null);
    let p = &v["pdus"][0];
    assert_eq!(p["pdu"], "0001000B916407281553F800000AE8329BFD4697D9EC37");
    assert_eq!(p["cmgs_length"], 22);
    assert_eq!(p["at_command"], "AT+CMGS=22");
    assert_eq!(p["user_data_length"], 10);
    assert_eq!(p["text_septets"], 10);
    assert_eq!(p["user_data_octets"], 9);
    assert_eq!(p["text"], "hellohello");
    assert_eq!(p["concat"], Value::Null);
    let v = encode_plan("1708", &"x".repeat(161), &SubmitOptions::default()).unwrap();
    assert_eq!(v["parts"], 2);
    assert_eq!(v["pdus"][0]["user_data_length"], 160);
    assert_eq!(v["pdus"][0]["text_septets"], 153);
    assert_eq!(v["pdus"][1]["text_septets"], 8);
    assert_eq!(v["pdus"][1]["concat"]["seq"], 2);
}

#[test]
fn encode_plan_three_part_ucs2() {
    let text = "Laporan Anda diterima 🙏 ".repeat(8);
    let opts = SubmitOptions {
        concat_ref: 0x2A,
        smsc: Some("+6281100000".into()),
        ..Default::default()
    };
    let v = encode_plan("081234567890", &text, &opts).unwrap();
    assert_eq!(v["coding"], "ucs2");
    assert_eq!(v["parts"], 3);
    assert_eq!(v["text_utf16_units"], text.encode_utf16().count());
    let pdus = v["pdus"].as_array().unwrap();
    assert_eq!(pdus.len(), 3);
    let mut joined = String::new();
    for (i, p) in pdus.iter().enumerate() {
        let pdu = p["pdu"].as_str().unwrap();
        assert!(pdu.starts_with("06912618010000"), "{pdu}");
        assert_eq!(
            p["cmgs_length"].as_u64().unwrap() as usize * 2 + 14,
            pdu.len()
        );
        assert_eq!(p["dcs"], "08");
        assert_eq!(
            p["concat"],
            json!({"ref": 0x2A, "total": 3, "seq": i + 1, "ref_bits": 8})
        );
        joined.push_str(p["text"].as_str().unwrap());
    }
    assert_eq!(pdus[0]["user_data_length"], 6 + 134);
    assert_eq!(pdus[0]["text_octets"], 134);
    assert_eq!(pdus[0]["text_septets"], Value::Null);
    assert_eq!(joined, text);
    assert_eq!(
        encode_plan("+62-812", "x", &opts),
        Err(EncodeError::InvalidAddress("+62-812".into()))
    );
}

#[test]
fn describe_reads_back_what_encode_deliver_wrote() {
    let scts = Scts {
        year: 2024,
        month: 3,
        day: 5,
        hour: 9,
        minute: 30,
        second: 0,
        tz_quarter_hours: 28,
    };
    let part = super::super::encode_deliver(
        "+6281234567890",
        "Jalan rusak di Jl. Sudirman {RT 05}",
        &scts,
        &DeliverOptions::default(),
    )
    .unwrap();
    let v = view(&part.pdu_hex, Framing::WithSmsc);
    assert_eq!(v["sender"]["value"], "+6281234567890");
    assert_eq!(v["scts"], "2024-03-05T09:30:00+07:00");
    assert_eq!(v["text"], "Jalan rusak di Jl. Sudirman {RT 05}");
    assert_eq!(v["tpdu_len"], part.tpdu_len);
    assert_eq!(v["first_octet"]["more_messages_waiting"], false);
}
