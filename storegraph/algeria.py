"""Reference data for realistic demo stores: wilayas (2019 division, 1–58), communes, names, catalogue."""

from __future__ import annotations

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

# Communes beyond the chef-lieu (which carries the wilaya's name) for the wilayas most orders come from.
COMMUNES: dict[int, tuple[str, ...]] = {
    9: ("Blida", "Boufarik", "Ouled Yaïch", "Bougara"),
    15: ("Tizi Ouzou", "Azazga", "Draâ Ben Khedda", "Larbaâ Nath Irathen"),
    16: ("Bab Ezzouar", "Hydra", "Bir Mourad Raïs", "El Harrach", "Kouba", "Chéraga", "Dély Ibrahim", "Bab El Oued"),
    19: ("Sétif", "El Eulma", "Aïn Oulmene"),
    23: ("Annaba", "El Bouni", "El Hadjar"),
    25: ("Constantine", "El Khroub", "Hamma Bouziane", "Aïn Smara"),
    31: ("Oran", "Es Senia", "Bir El Djir", "Aïn El Turk", "Arzew"),
    35: ("Boumerdès", "Bordj Menaïel", "Boudouaou"),
    42: ("Tipaza", "Koléa", "Cherchell"),
}

MALE_FIRST_NAMES = (
    "Mohamed", "Ahmed", "Amine", "Yacine", "Karim", "Sofiane", "Walid", "Bilal", "Rachid", "Nassim", "Hichem",
    "Abdelkader", "Mehdi", "Riad", "Samir", "Farid", "Mourad", "Djamel", "Hamza", "Islam", "Ayoub", "Anis",
    "Lotfi", "Nabil", "Redouane", "Zakaria", "Adel", "Khaled", "Salim", "Toufik", "Ilyes", "Oussama",
)  # fmt: skip
FEMALE_FIRST_NAMES = (
    "Amina", "Fatima", "Meriem", "Sarah", "Yasmine", "Khadidja", "Nour", "Imane", "Lina", "Rania", "Souad",
    "Nadia", "Samira", "Houda", "Asma", "Wafa", "Lamia", "Ikram", "Chaima", "Aya", "Feriel", "Kenza", "Dounia",
    "Selma", "Malika", "Zineb", "Hanane", "Amel", "Manel", "Sihem", "Nesrine", "Lydia",
)  # fmt: skip
FAMILY_NAMES = (
    "Benali", "Boudiaf", "Haddad", "Belkacem", "Mansouri", "Saadi", "Bouzid", "Khelifi", "Brahimi", "Cherif",
    "Hamidi", "Meziane", "Bensalem", "Amrani", "Belaid", "Rahmani", "Zerrouki", "Djebbar", "Kaci", "Toumi",
    "Larbi", "Slimani", "Ouali", "Ferhat", "Bouchama", "Ait Ahmed", "Benyahia", "Guerroudj", "Hamadi", "Lounis",
    "Medjahed", "Nait Ali", "Rezig", "Sahraoui", "Tebboune", "Yahiaoui", "Zitouni", "Benmoussa", "Chikhi",
    "Djellouli", "Bendjedid", "Mokrani", "Benhamou", "Boukhari", "Derradji", "Feraoun", "Ghezali", "Hadjadj",
)  # fmt: skip
EMAIL_DOMAINS = ("gmail.com", "yahoo.fr", "outlook.com", "hotmail.com")

# (name, price in DZD, SKU prefix): what an Algerian online shop sells.
CATALOGUE = (
    ("T-shirt coton", 1500, "TS"), ("Chemise lin", 3200, "CH"), ("Robe kabyle", 8500, "RK"),
    ("Karakou brodé", 24000, "KK"), ("Jean slim", 4200, "JN"), ("Abaya", 6500, "AB"), ("Hijab soie", 1800, "HJ"),
    ("Basket running", 7800, "BK"), ("Sandales cuir", 3500, "SD"), ("Sac à main", 5600, "SM"),
    ("Montre classique", 9900, "MT"), ("Écouteurs Bluetooth", 3900, "EC"), ("Chargeur rapide 25W", 2200, "CR"),
    ("Coque téléphone", 800, "CQ"), ("Power bank 20000mAh", 4500, "PB"), ("Smartwatch", 12500, "SW"),
    ("Parfum oud", 6900, "PO"), ("Huile d'argan", 2400, "HA"), ("Savon d'Alep", 900, "SA"),
    ("Henné naturel", 1200, "HN"),
    ("Crème hydratante", 2100, "CH2"), ("Tapis berbère", 18000, "TB"), ("Couscoussier inox", 5200, "CI"),
    ("Service à thé", 4800, "ST"), ("Tajine terre cuite", 2900, "TJ"), ("Poêle antiadhésive", 3300, "PA"),
    ("Mixeur plongeant", 6100, "MX"), ("Cafetière italienne", 2700, "CF"), ("Couverture polaire", 3600, "CV"),
    ("Lampe LED", 1900, "LL"), ("Dattes Deglet Nour 1kg", 1100, "DN"), ("Miel de jujubier 500g", 4000, "MJ"),
)  # fmt: skip
