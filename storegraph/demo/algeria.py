"""Reference data for realistic Algerian demo stores: the 58 wilayas (2019 division) with real communes,
common first and family names, street names, and a catalogue of what Algerian online shops sell."""

from __future__ import annotations

from typing import NamedTuple

# Official numbering; 49–58 are the wilayas created by the 2019 reform (law 19-12).
WILAYAS: tuple[tuple[int, str], ...] = (
    (1, "Adrar"), (2, "Chlef"), (3, "Laghouat"), (4, "Oum El Bouaghi"), (5, "Batna"), (6, "Béjaïa"),
    (7, "Biskra"), (8, "Béchar"), (9, "Blida"), (10, "Bouira"), (11, "Tamanrasset"), (12, "Tébessa"),
    (13, "Tlemcen"), (14, "Tiaret"), (15, "Tizi Ouzou"), (16, "Alger"), (17, "Djelfa"), (18, "Jijel"),
    (19, "Sétif"), (20, "Saïda"), (21, "Skikda"), (22, "Sidi Bel Abbès"), (23, "Annaba"), (24, "Guelma"),
    (25, "Constantine"), (26, "Médéa"), (27, "Mostaganem"), (28, "M'Sila"), (29, "Mascara"), (30, "Ouargla"),
    (31, "Oran"), (32, "El Bayadh"), (33, "Illizi"), (34, "Bordj Bou Arréridj"), (35, "Boumerdès"),
    (36, "El Tarf"), (37, "Tindouf"), (38, "Tissemsilt"), (39, "El Oued"), (40, "Khenchela"),
    (41, "Souk Ahras"), (42, "Tipaza"), (43, "Mila"), (44, "Aïn Defla"), (45, "Naâma"), (46, "Aïn Témouchent"),
    (47, "Ghardaïa"), (48, "Relizane"), (49, "Timimoun"), (50, "Bordj Badji Mokhtar"), (51, "Ouled Djellal"),
    (52, "Béni Abbès"), (53, "In Salah"), (54, "In Guezzam"), (55, "Touggourt"), (56, "Djanet"),
    (57, "El M'Ghair"), (58, "El Meniaa"),
)  # fmt: skip

# Communes of each wilaya, chef-lieu first (as attached since the 2019 reform).
COMMUNES: dict[int, tuple[str, ...]] = {
    1: ("Adrar", "Reggane", "Aoulef", "Tsabit", "Zaouiet Kounta"),
    2: ("Chlef", "Ténès", "Boukadir", "Oued Fodda", "El Karimia"),
    3: ("Laghouat", "Aflou", "Ksar El Hirane", "Hassi R'Mel"),
    4: ("Oum El Bouaghi", "Aïn Beïda", "Aïn M'lila", "Sigus"),
    5: ("Batna", "Barika", "Arris", "Merouana", "N'Gaous"),
    6: ("Béjaïa", "Akbou", "Amizour", "El Kseur", "Sidi Aïch", "Tichy"),
    7: ("Biskra", "Tolga", "Sidi Okba", "El Kantara"),
    8: ("Béchar", "Kénadsa", "Abadla", "Taghit"),
    9: ("Blida", "Boufarik", "Ouled Yaïch", "Bougara", "Larbaâ", "Mouzaïa"),
    10: ("Bouira", "Lakhdaria", "Sour El Ghozlane", "M'Chedallah"),
    11: ("Tamanrasset", "Abalessa", "In Amguel", "Tazrouk"),
    12: ("Tébessa", "Bir El Ater", "Chéria", "El Aouinet"),
    13: ("Tlemcen", "Maghnia", "Ghazaouet", "Remchi", "Mansourah", "Nedroma"),
    14: ("Tiaret", "Sougueur", "Frenda", "Ksar Chellala", "Mahdia"),
    15: ("Tizi Ouzou", "Azazga", "Draâ Ben Khedda", "Larbaâ Nath Irathen", "Aïn El Hammam", "Tigzirt"),
    16: (
        "Alger Centre",
        "Bab Ezzouar",
        "Hydra",
        "Bir Mourad Raïs",
        "El Harrach",
        "Kouba",
        "Chéraga",
        "Dely Ibrahim",
        "Bab El Oued",
        "Sidi M'Hamed",
        "Draria",
        "Rouïba",
        "Birkhadem",
        "Bordj El Kiffan",
        "Dar El Beïda",
        "Ben Aknoun",
    ),
    17: ("Djelfa", "Aïn Oussera", "Messaâd", "Hassi Bahbah"),
    18: ("Jijel", "Taher", "El Milia", "Chekfa"),
    19: ("Sétif", "El Eulma", "Aïn Oulmene", "Aïn Arnat", "Bougaâ"),
    20: ("Saïda", "Aïn El Hadjar", "Youb", "Sidi Boubekeur"),
    21: ("Skikda", "Collo", "Azzaba", "El Harrouch"),
    22: ("Sidi Bel Abbès", "Telagh", "Sfisef", "Ben Badis"),
    23: ("Annaba", "El Bouni", "El Hadjar", "Sidi Amar", "Berrahal"),
    24: ("Guelma", "Oued Zenati", "Héliopolis", "Bouchegouf"),
    25: ("Constantine", "El Khroub", "Hamma Bouziane", "Aïn Smara", "Didouche Mourad", "Zighoud Youcef"),
    26: ("Médéa", "Berrouaghia", "Ksar El Boukhari", "Tablat"),
    27: ("Mostaganem", "Aïn Tédelès", "Hassi Mamèche", "Sidi Ali"),
    28: ("M'Sila", "Bou Saâda", "Sidi Aïssa", "Aïn El Melh"),
    29: ("Mascara", "Sig", "Mohammadia", "Tighennif"),
    30: ("Ouargla", "Hassi Messaoud", "Rouissat", "N'Goussa"),
    31: ("Oran", "Es Senia", "Bir El Djir", "Aïn El Turk", "Arzew", "Gdyel", "Mers El Kébir"),
    32: ("El Bayadh", "Bougtob", "Brezina", "Rogassa"),
    33: ("Illizi", "In Amenas", "Debdeb"),
    34: ("Bordj Bou Arréridj", "Ras El Oued", "Medjana", "El Achir"),
    35: ("Boumerdès", "Bordj Menaïel", "Boudouaou", "Dellys", "Khemis El Khechna", "Thénia"),
    36: ("El Tarf", "El Kala", "Ben M'Hidi", "Dréan", "Besbes"),
    37: ("Tindouf", "Oum El Assel"),
    38: ("Tissemsilt", "Theniet El Had", "Bordj Bou Naama", "Lardjem"),
    39: ("El Oued", "Guemar", "Debila", "Robbah", "Bayadha"),
    40: ("Khenchela", "Kaïs", "Chechar", "Bouhmama"),
    41: ("Souk Ahras", "Sedrata", "M'Daourouch", "Taoura"),
    42: ("Tipaza", "Koléa", "Cherchell", "Hadjout", "Fouka", "Bou Ismaïl"),
    43: ("Mila", "Chelghoum Laïd", "Ferdjioua", "Tadjenanet"),
    44: ("Aïn Defla", "Khemis Miliana", "Miliana", "El Attaf"),
    45: ("Naâma", "Mécheria", "Aïn Sefra"),
    46: ("Aïn Témouchent", "Beni Saf", "Hammam Bou Hadjar", "El Malah"),
    47: ("Ghardaïa", "Metlili", "Berriane", "Bounoura", "El Guerrara"),
    48: ("Relizane", "Oued Rhiou", "Mazouna", "Zemmora"),
    49: ("Timimoun", "Aougrout", "Charouine", "Ouled Saïd"),
    50: ("Bordj Badji Mokhtar", "Timiaouine"),
    51: ("Ouled Djellal", "Sidi Khaled", "Doucen", "Ras El Miad"),
    52: ("Béni Abbès", "Kerzaz", "El Ouata", "Igli", "Tabelbala"),
    53: ("In Salah", "In Ghar", "Foggaret Ezzoua"),
    54: ("In Guezzam", "Tin Zaouatine"),
    55: ("Touggourt", "Temacine", "Nezla", "Megarine", "Tebesbest"),
    56: ("Djanet", "Bordj El Haouas"),
    57: ("El M'Ghair", "Djamaa", "Sidi Amrane", "Oum Touyour"),
    58: ("El Meniaa", "Hassi Gara", "Hassi Fehal"),
}

# The Grand Sud: parcels take days longer and couriers charge more to get there.
SOUTHERN_WILAYAS: frozenset[int] = frozenset({1, 8, 11, 30, 33, 37, 39, 47, *range(49, 59)})

MALE_FIRST_NAMES: tuple[str, ...] = (
    "Mohamed", "Ahmed", "Amine", "Yacine", "Karim", "Sofiane", "Walid", "Bilal", "Rachid", "Nassim", "Hichem",
    "Abdelkader", "Mehdi", "Riad", "Samir", "Farid", "Mourad", "Djamel", "Hamza", "Islam", "Ayoub", "Anis",
    "Lotfi", "Nabil", "Redouane", "Zakaria", "Adel", "Khaled", "Salim", "Toufik", "Ilyes", "Oussama",
    "Abderrahmane", "Fares", "Larbi", "Mustapha", "Aymen", "Youcef", "Kamel", "Brahim", "Idir", "Massinissa",
)  # fmt: skip
FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Amina", "Fatima", "Meriem", "Sarah", "Yasmine", "Khadidja", "Nour", "Imane", "Lina", "Rania", "Souad",
    "Nadia", "Samira", "Houda", "Asma", "Wafa", "Lamia", "Ikram", "Chaima", "Aya", "Feriel", "Kenza", "Dounia",
    "Selma", "Malika", "Zineb", "Hanane", "Amel", "Manel", "Sihem", "Nesrine", "Lydia", "Ryma", "Nawel",
    "Hadjer", "Soumia", "Djamila", "Katia", "Tinhinane", "Wissem", "Rym", "Fella",
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = (
    "Benali", "Boudiaf", "Haddad", "Belkacem", "Mansouri", "Saadi", "Bouzid", "Khelifi", "Brahimi", "Cherif",
    "Hamidi", "Meziane", "Bensalem", "Amrani", "Belaid", "Rahmani", "Zerrouki", "Djebbar", "Kaci", "Toumi",
    "Larbi", "Slimani", "Ouali", "Ferhat", "Bouchama", "Ait Ahmed", "Benyahia", "Guerroudj", "Hamadi", "Lounis",
    "Medjahed", "Nait Ali", "Rezig", "Sahraoui", "Benaissa", "Yahiaoui", "Zitouni", "Benmoussa", "Chikhi",
    "Djellouli", "Bendjedid", "Mokrani", "Benhamou", "Boukhari", "Derradji", "Feraoun", "Ghezali", "Hadjadj",
    "Bouras", "Mebarki", "Aouadi", "Taleb", "Kherbouche", "Bekkouche", "Hamdi", "Laib", "Benabdallah",
    "Bouchareb", "Guendouz", "Ziani", "Oukaci", "Tahri",
)  # fmt: skip

# Streets named after figures of the war of independence: found in nearly every Algerian town.
STREET_NAMES: tuple[str, ...] = (
    "Didouche Mourad", "Larbi Ben M'hidi", "Hassiba Ben Bouali", "Abane Ramdane", "Colonel Amirouche",
    "Emir Abdelkader", "1er Novembre 1954", "Ahmed Zabana", "Krim Belkacem", "Mohamed Boudiaf", "Ali Boumendjel",
    "Zighoud Youcef", "Mustapha Ben Boulaïd", "Colonel Lotfi", "Si El Haouès", "Mohamed Khemisti",
)  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "yahoo.fr", "outlook.com")


class CatalogueItem(NamedTuple):
    name: str
    price: int  # DZD
    sku_stem: str  # unique per item; products get "<stem>-001", "<stem>-002", ...
    category: str


CLOTHES, ELECTRONICS, COSMETICS, HOME, GROCERY = "Vêtements", "Électronique", "Cosmétiques", "Maison", "Épicerie"

CATALOGUE: tuple[CatalogueItem, ...] = (
    CatalogueItem("T-shirt coton", 1500, "TS-COT", CLOTHES),
    CatalogueItem("Chemise lin", 3200, "CH-LIN", CLOTHES),
    CatalogueItem("Robe kabyle", 8500, "RB-KAB", CLOTHES),
    CatalogueItem("Karakou brodé", 24000, "KR-BRD", CLOTHES),
    CatalogueItem("Jean slim", 4200, "JN-SLM", CLOTHES),
    CatalogueItem("Abaya", 6500, "AB-CLS", CLOTHES),
    CatalogueItem("Hijab soie", 1800, "HJ-SOI", CLOTHES),
    CatalogueItem("Djellaba homme", 5900, "DJ-HOM", CLOTHES),
    CatalogueItem("Survêtement sport", 4800, "SV-SPT", CLOTHES),
    CatalogueItem("Basket running", 7800, "BK-RUN", CLOTHES),
    CatalogueItem("Sandales cuir", 3500, "SD-CUR", CLOTHES),
    CatalogueItem("Sac à main", 5600, "SC-MAN", CLOTHES),
    CatalogueItem("Doudoune", 8900, "DD-HIV", CLOTHES),
    CatalogueItem("Pyjama enfant", 2200, "PJ-ENF", CLOTHES),
    CatalogueItem("Montre classique", 9900, "MT-CLS", ELECTRONICS),
    CatalogueItem("Écouteurs Bluetooth", 3900, "EC-BLT", ELECTRONICS),
    CatalogueItem("Chargeur rapide 25W", 2200, "CR-25W", ELECTRONICS),
    CatalogueItem("Câble USB-C", 800, "CB-USC", ELECTRONICS),
    CatalogueItem("Coque téléphone", 900, "CQ-TEL", ELECTRONICS),
    CatalogueItem("Power bank 20000mAh", 4500, "PB-20K", ELECTRONICS),
    CatalogueItem("Smartwatch", 12500, "SW-FIT", ELECTRONICS),
    CatalogueItem("Enceinte portable", 6800, "EN-PRT", ELECTRONICS),
    CatalogueItem("Casque gaming", 7500, "CS-GAM", ELECTRONICS),
    CatalogueItem("Clavier sans fil", 4200, "CL-SFL", ELECTRONICS),
    CatalogueItem("Souris gamer", 2900, "SR-GAM", ELECTRONICS),
    CatalogueItem("Tablette 10 pouces", 32000, "TB-10P", ELECTRONICS),
    CatalogueItem("Smartphone Redmi", 39900, "SP-RDM", ELECTRONICS),
    CatalogueItem("Sèche-cheveux", 5400, "SH-CHV", ELECTRONICS),
    CatalogueItem("Parfum oud", 6900, "PF-OUD", COSMETICS),
    CatalogueItem("Huile d'argan", 2400, "HL-ARG", COSMETICS),
    CatalogueItem("Savon d'Alep", 900, "SV-ALP", COSMETICS),
    CatalogueItem("Henné naturel", 1200, "HN-NAT", COSMETICS),
    CatalogueItem("Crème hydratante", 2100, "CR-HYD", COSMETICS),
    CatalogueItem("Sérum vitamine C", 3400, "SR-VTC", COSMETICS),
    CatalogueItem("Khôl traditionnel", 800, "KH-TRD", COSMETICS),
    CatalogueItem("Musc blanc", 1600, "MS-BLC", COSMETICS),
    CatalogueItem("Rouge à lèvres mat", 1400, "RG-MAT", COSMETICS),
    CatalogueItem("Shampooing kératine", 1900, "SH-KER", COSMETICS),
    CatalogueItem("Tapis berbère", 18000, "TP-BRB", HOME),
    CatalogueItem("Couscoussier inox", 5200, "CS-INX", HOME),
    CatalogueItem("Service à thé", 4800, "ST-THE", HOME),
    CatalogueItem("Tajine terre cuite", 2900, "TJ-TRC", HOME),
    CatalogueItem("Poêle antiadhésive", 3300, "PL-ANT", HOME),
    CatalogueItem("Mixeur plongeant", 6100, "MX-PLG", HOME),
    CatalogueItem("Cafetière italienne", 2700, "CF-ITA", HOME),
    CatalogueItem("Couverture polaire", 3600, "CV-POL", HOME),
    CatalogueItem("Lampe LED", 1900, "LP-LED", HOME),
    CatalogueItem("Parure de lit", 7400, "PR-LIT", HOME),
    CatalogueItem("Rideaux occultants", 4600, "RD-OCC", HOME),
    CatalogueItem("Friteuse sans huile", 16500, "FR-SSH", HOME),
    CatalogueItem("Dattes Deglet Nour 1kg", 1100, "DT-DGN", GROCERY),
    CatalogueItem("Miel de jujubier 500g", 4000, "ML-JUJ", GROCERY),
)

# What a product of a category comes in: one product per (item, variant), as shops list them.
VARIANTS: dict[str, tuple[str, ...]] = {
    CLOTHES: ("Noir", "Blanc", "Bleu marine", "Beige", "Bordeaux", "Vert olive"),
    ELECTRONICS: ("Noir", "Blanc", "Bleu"),
    COSMETICS: ("50 ml", "100 ml", "Coffret"),
    HOME: ("Petit modèle", "Grand modèle"),
    GROCERY: ("Boîte cadeau",),
}

# The demo store's delivery zones: every wilaya in one, with the home and stop-desk fees (DZD) Algerian shops
# publish, cheapest in Algiers and dearest in the far south.
DELIVERY_ZONES: tuple[tuple[str, tuple[int, ...], int, int], ...] = (
    ("Alger", (16,), 400, 200),
    ("Centre", (9, 10, 15, 26, 35, 42, 44), 500, 300),
    ("Est", (4, 5, 6, 12, 18, 19, 21, 23, 24, 25, 34, 36, 40, 41, 43), 600, 350),
    ("Ouest", (2, 13, 14, 20, 22, 27, 29, 31, 38, 46, 48), 600, 350),
    ("Hauts Plateaux", (3, 17, 28, 32, 45), 700, 400),
    ("Sud", (7, 30, 39, 47, 51, 55, 57, 58), 850, 500),
    ("Grand Sud", (1, 8, 11, 33, 37, 49, 50, 52, 53, 54, 56), 1100, 650),
)
