package justworks

// Static tables the generator draws from. Names are common given and family
// names from many countries so the data looks like a real, international
// workforce; places and phone numbers use fictional ranges where one exists
// (555-01xx in North America, Ofcom's drama range in the UK).

var givenNames = []string{
	"Aaliyah", "Aaron", "Abigail", "Adrian", "Aisha", "Alejandro", "Alexander", "Amara", "Amelia", "Ana",
	"Andre", "Andrew", "Angela", "Anika", "Anthony", "Arjun", "Ava", "Benjamin", "Brandon", "Brianna",
	"Camila", "Carlos", "Caroline", "Charles", "Chen", "Chloe", "Christopher", "Daniel", "David", "Deepa",
	"Diego", "Dmitri", "Elena", "Elijah", "Elizabeth", "Emily", "Emma", "Ethan", "Fatima", "Felix",
	"Gabriel", "Grace", "Hana", "Hannah", "Harper", "Hiroshi", "Ibrahim", "Isabella", "Isaac", "Jack",
	"James", "Jasmine", "Javier", "Jennifer", "Jessica", "John", "Jordan", "Jose", "Joseph", "Julia",
	"Kai", "Kenji", "Kevin", "Laila", "Laura", "Leah", "Liam", "Lucas", "Lucia", "Maria",
	"Mateo", "Matthew", "Maya", "Mei", "Michael", "Mohammed", "Naomi", "Nathan", "Nia", "Noah",
	"Olivia", "Omar", "Priya", "Rachel", "Rafael", "Ravi", "Rebecca", "Samuel", "Sarah", "Sofia",
	"Sophia", "Tariq", "Thomas", "Valentina", "Victoria", "William", "Wei", "Yara", "Yusuf", "Zoe",
}

var familyNames = []string{
	"Adams", "Ahmed", "Alvarez", "Anderson", "Bailey", "Baker", "Banerjee", "Becker", "Brown", "Campbell",
	"Carter", "Castillo", "Chang", "Chen", "Clark", "Collins", "Cruz", "Davis", "Diaz", "Edwards",
	"Evans", "Fischer", "Flores", "Garcia", "Gomez", "Gonzalez", "Green", "Gupta", "Hall", "Harris",
	"Hernandez", "Hill", "Huang", "Hughes", "Jackson", "Johnson", "Jones", "Kaur", "Kelly", "Khan",
	"Kim", "King", "Kowalski", "Kumar", "Lee", "Lewis", "Li", "Lopez", "Martin", "Martinez",
	"Mehta", "Miller", "Mitchell", "Moore", "Morales", "Morris", "Murphy", "Nakamura", "Nguyen", "Novak",
	"Okafor", "Okonkwo", "Olsen", "Ortiz", "Park", "Patel", "Perez", "Phillips", "Ramirez", "Reddy",
	"Reyes", "Richardson", "Rivera", "Roberts", "Robinson", "Rodriguez", "Rossi", "Sanchez", "Santos", "Schmidt",
	"Scott", "Shah", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thomas", "Thompson",
	"Torres", "Tran", "Walker", "Wang", "White", "Williams", "Wilson", "Wright", "Yamamoto", "Young",
}

var streetNames = []string{
	"Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Park Ave", "Elm St", "Washington Blvd", "Lake Shore Dr",
	"Sunset Blvd", "Broadway", "Hill Rd", "River Rd", "Church St", "High St", "Mill Ln", "Station Rd",
	"King St", "Queen St", "Market St", "Spring St",
}

// place is a city members live in. Postal codes are patterns where '#' becomes
// a digit. stateTaxBP is the flat state income tax the paystubs withhold, in
// basis points (US places only).
type place struct {
	country, city, state, postal, phone string
	stateTaxBP                          int64
}

// usPlaces are the home cities of US members; the first two match the demo
// company's jurisdictions.
var usPlaces = []place{
	{"US", "New York", "NY", "100##", "+1212555", 550},
	{"US", "San Francisco", "CA", "941##", "+1415555", 600},
	{"US", "Brooklyn", "NY", "112##", "+1718555", 550},
	{"US", "Los Angeles", "CA", "900##", "+1213555", 600},
	{"US", "Austin", "TX", "787##", "+1512555", 0},
	{"US", "Chicago", "IL", "606##", "+1312555", 495},
	{"US", "Seattle", "WA", "981##", "+1206555", 0},
	{"US", "Boston", "MA", "021##", "+1617555", 500},
	{"US", "Denver", "CO", "802##", "+1303555", 440},
	{"US", "Atlanta", "GA", "303##", "+1404555", 549},
}

// intlPlaces are the home cities of international members and contractors.
var intlPlaces = []place{
	{"GB", "London", "", "EC1A #AA", "+4420794", 0},
	{"CA", "Toronto", "ON", "M5V #T#", "+1416555", 0},
	{"DE", "Berlin", "BE", "10###", "+4930901", 0},
	{"MX", "Ciudad de México", "CDMX", "06###", "+5255512", 0},
	{"IN", "Bengaluru", "KA", "560###", "+9180412", 0},
	{"AU", "Sydney", "NSW", "2###", "+6129876", 0},
	{"BR", "São Paulo", "SP", "01###-###", "+5511912", 0},
	{"IE", "Dublin", "", "D02 X###", "+3531555", 0},
}

// currencies maps a member's country to the currency of their pay, with the
// rough number of currency units per US dollar used to scale salaries.
var currencies = map[string]struct {
	code   string
	perUSD int64
}{
	"US": {"USD", 1}, "GB": {"GBP", 1}, "CA": {"CAD", 1}, "DE": {"EUR", 1}, "IE": {"EUR", 1},
	"MX": {"MXN", 17}, "IN": {"INR", 83}, "AU": {"AUD", 2}, "BR": {"BRL", 5},
}

// department names and the job titles of their members. The first department
// holds only the CEO.
var departments = []struct {
	key, name string
	titles    []string
}{
	{"exec", "Executive", []string{"Chief Executive Officer"}},
	{"eng", "Engineering", []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "QA Engineer", "Site Reliability Engineer"}},
	{"prod", "Product", []string{"Product Manager", "Senior Product Manager", "Product Analyst"}},
	{"design", "Design", []string{"Product Designer", "UX Researcher", "Design Lead"}},
	{"sales", "Sales", []string{"Account Executive", "Sales Development Representative", "Sales Manager", "Solutions Engineer"}},
	{"mkt", "Marketing", []string{"Marketing Manager", "Content Strategist", "Growth Marketer"}},
	{"cs", "Customer Success", []string{"Customer Success Manager", "Support Specialist", "Implementation Specialist"}},
	{"ops", "Operations", []string{"Operations Manager", "Office Manager", "Business Analyst"}},
	{"fin", "Finance", []string{"Accountant", "Financial Analyst", "Controller"}},
	{"people", "People", []string{"People Partner", "Recruiter", "People Operations Specialist"}},
}

var timeOffNotes = []string{
	"Family vacation", "Doctor's appointment", "Moving apartments", "Wedding", "Visiting family",
	"Feeling unwell", "Long weekend", "Conference travel (personal days)", "School event", "Dentist",
}
