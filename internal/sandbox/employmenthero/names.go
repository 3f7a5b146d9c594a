package employmenthero

// Vocabularies the generator draws from. Records keep indices into these lists
// rather than strings, which is what keeps 100,000 employees small.

var femaleNames = []string{
	"Olivia", "Charlotte", "Amelia", "Isla", "Mia", "Ava", "Grace", "Chloe", "Sophie", "Emily",
	"Ruby", "Zoe", "Harper", "Ella", "Matilda", "Lily", "Evie", "Sienna", "Hannah", "Lucy",
	"Georgia", "Jessica", "Sarah", "Emma", "Priya", "Mei", "Aroha", "Ngaio", "Anika", "Fatima",
	"Leilani", "Yuki", "Maria", "Chiara", "Aisha", "Freya", "Imogen", "Poppy", "Niamh", "Siobhan",
}

var maleNames = []string{
	"Oliver", "Jack", "William", "Noah", "Thomas", "James", "Lucas", "Henry", "Leo", "Charlie",
	"Hudson", "Liam", "Ethan", "Samuel", "Lachlan", "Cooper", "Harrison", "Mason", "Riley", "Archie",
	"Daniel", "Matthew", "Benjamin", "Joshua", "Arjun", "Wei", "Tama", "Wiremu", "Rawiri", "Mohammed",
	"Hiroshi", "Luca", "Diego", "Kofi", "Callum", "Alfie", "Rhys", "Owen", "Finn", "Seamus",
}

// neutralNames are used for people whose gender is not recorded.
var neutralNames = []string{"Alex", "Sam", "Jordan", "Taylor", "Casey", "Riley", "Jamie", "Morgan", "Quinn", "Charlie"}

var lastNames = []string{
	"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin", "Anderson",
	"Thompson", "Nguyen", "Thomas", "Walker", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King",
	"Davis", "Wright", "Evans", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel",
	"Khan", "Lewis", "James", "Phillips", "Mitchell", "Campbell", "O'Brien", "McDonald", "Murphy", "Scott",
	"Tran", "Chen", "Wang", "Li", "Singh", "Kaur", "Sharma", "Ngata", "Parata", "Tipene",
	"Walsh", "O'Connor", "Hughes", "Edwards", "Turner", "Baker", "Hill", "Young", "Cooper", "Morris",
	"Russo", "Rossi", "Papadopoulos", "Kowalski", "Novak", "Haddad", "Okafor", "Mensah", "Tanaka", "Kim",
	"Park", "Fernandez", "Garcia", "Lopez", "Silva", "Santos", "Reid", "Stewart", "Fraser", "MacLeod",
}

var jobTitles = []string{
	"Software Engineer", "Senior Software Engineer", "Product Manager", "Product Designer",
	"Data Analyst", "QA Engineer", "DevOps Engineer", "Engineering Manager",
	"Account Executive", "Sales Development Representative", "Account Manager", "Sales Manager",
	"Marketing Coordinator", "Content Specialist", "Marketing Manager", "Customer Success Manager",
	"Customer Support Specialist", "Support Team Lead", "HR Business Partner", "Recruiter",
	"Payroll Officer", "Accountant", "Financial Controller", "Office Manager",
	"Receptionist", "Operations Coordinator", "Warehouse Associate", "Forklift Operator",
	"Retail Assistant", "Store Manager", "Barista", "Chef", "Kitchen Hand", "Delivery Driver",
	"Legal Counsel", "IT Support Officer", "Business Analyst", "Project Manager",
}

// contractorTitles are job titles of independent contractors.
var contractorTitles = []string{
	"Contract Developer", "Freelance Designer", "Consultant", "Contract Bookkeeper", "Photographer", "Copywriter",
}

var departments = []string{
	"Engineering", "Product", "Sales", "Marketing", "Customer Success", "Support",
	"People & Culture", "Finance", "Operations", "Warehouse", "Retail", "Hospitality", "Legal", "IT",
}

var streets = []string{
	"George Street", "Collins Street", "Queen Street", "King Street", "Victoria Road", "High Street",
	"Church Street", "Station Road", "Park Avenue", "Elizabeth Street", "William Street", "Bridge Road",
	"Albert Street", "Beach Road", "Smith Street", "Oxford Street", "Princes Highway", "Great North Road",
}

// place is a suburb or town with its region and postcode.
type place struct{ city, state, postcode string }

// placesByCountry are residential places per country (indexed like countries).
var placesByCountry = [][]place{
	{ // AU
		{"Surry Hills", "NSW", "2010"}, {"Parramatta", "NSW", "2150"}, {"Newtown", "NSW", "2042"},
		{"Fitzroy", "VIC", "3065"}, {"Richmond", "VIC", "3121"}, {"Geelong", "VIC", "3220"},
		{"Fortitude Valley", "QLD", "4006"}, {"Southport", "QLD", "4215"}, {"Fremantle", "WA", "6160"},
		{"Glenelg", "SA", "5045"}, {"Hobart", "TAS", "7000"}, {"Braddon", "ACT", "2612"},
	},
	{ // NZ
		{"Ponsonby", "Auckland", "1011"}, {"Mount Eden", "Auckland", "1024"}, {"Te Aro", "Wellington", "6011"},
		{"Petone", "Lower Hutt", "5012"}, {"Riccarton", "Christchurch", "8011"}, {"Hamilton East", "Waikato", "3216"},
	},
	{ // GB
		{"Shoreditch", "London", "E1 6JE"}, {"Clapham", "London", "SW4 7AB"}, {"Didsbury", "Manchester", "M20 2RN"},
		{"Clifton", "Bristol", "BS8 1TH"}, {"Leith", "Edinburgh", "EH6 6QU"}, {"Headingley", "Leeds", "LS6 3AA"},
	},
}

var relationships = []string{"Partner", "Spouse", "Mother", "Father", "Sibling", "Friend", "Daughter", "Son"}

var superFunds = []struct{ name, abn, usi string }{
	{"AustralianSuper", "65 714 394 898", "STA0100AU"},
	{"Australian Retirement Trust", "60 905 115 063", "QSU0002AU"},
	{"Aware Super", "53 226 460 365", "FSS0001AU"},
	{"UniSuper", "91 385 943 850", "UNI0001AU"},
	{"Hostplus", "68 657 495 890", "HOS0100AU"},
	{"Rest", "62 653 671 394", "RES0103AU"},
	{"HESTA", "64 971 749 321", "HST0100AU"},
}

var kiwiSaverProviders = []string{"Simplicity KiwiSaver Scheme", "Milford KiwiSaver Plan", "ANZ KiwiSaver Scheme", "Fisher Funds KiwiSaver Scheme"}

var pensionProviders = []string{"NEST", "The People's Pension", "Aviva Workplace Pension", "Scottish Widows Workplace Pension"}

var timesheetComments = []string{"Stocktake", "Covered for a colleague", "Client site visit", "Training day", "Late delivery"}

var leaveComments = []string{"Family holiday", "Medical appointment", "Moving house", "Wedding", "School holidays", "Feeling unwell"}

var unavailabilityReasons = []string{"University classes", "School pick-up", "Second job", "Medical appointment", "Childcare", "Sport training"}
